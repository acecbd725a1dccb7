package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatrixMedia runs examples/matrix-media/provider_calls.py (Debian
// python3-boto3): the exact boto3 calls of synapse-s3-storage-provider and
// its s3_media_upload script, on a Synapse-like media store. Then it
// serves the same media publicly through the web endpoint: every file
// byte for byte with its stored Content-Type, and ranges of the video.
func TestMatrixMedia(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "synapse")
	n.CreateBucket(t, "matrix-media", k)
	py := n.Boto3(t, k)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "examples", "matrix-media", "provider_calls.py")
	out, errOut, err := py.Run(script, "--keep", "matrix-media", t.TempDir()) // the media are served below
	t.Logf("provider_calls.py:\n%s", clip(out))
	if err != nil {
		t.Fatalf("provider_calls.py failed: %v\nstderr:\n%s", err, clip(errOut))
	}
	if !strings.Contains(out, "MATRIX MEDIA OK") {
		t.Fatalf("provider_calls.py exited 0 without reaching its end\nstderr:\n%s", clip(errOut))
	}
	type media struct{ key, sha, ctype string }
	var files []media
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "MEDIA" {
			files = append(files, media{f[1], f[2], f[3]})
		}
	}
	if len(files) != 5 {
		t.Fatalf("provider_calls.py reported %d media files, want 5", len(files))
	}

	host := n.WebHost("matrix-media")
	if r := n.WebGet(t, host, "/"+files[0].key); r.Status != 404 {
		t.Fatalf("media served before website access was enabled: %d", r.Status)
	}
	n.CLI(t, "bucket", "website", "matrix-media", "--allow")
	for _, f := range files {
		r := n.WebGet(t, host, "/"+f.key)
		sum := sha256.Sum256(r.Body)
		if r.Status != 200 || hex.EncodeToString(sum[:]) != f.sha || r.Header.Get("Content-Type") != f.ctype {
			t.Errorf("GET /%s: %d, sha256 %x (want %s), type %q (want %s)", f.key, r.Status, sum[:6], f.sha[:12], r.Header.Get("Content-Type"), f.ctype)
		}
	}
	// Seeking in the video: single ranges, from the start, the middle
	// (across 1 MiB blocks and multipart parts) and the end.
	video := "/local_content/Zz/Yy/clip-of-the-garden"
	full := n.WebGet(t, host, video)
	for _, rg := range [][2]int{{0, 1023}, {8<<20 - 100, 8<<20 + 100}, {len(full.Body) - 10, len(full.Body) - 1}} {
		r := n.WebGet(t, host, video, "Range", fmt.Sprintf("bytes=%d-%d", rg[0], rg[1]))
		if r.Status != 206 || string(r.Body) != string(full.Body[rg[0]:rg[1]+1]) {
			t.Errorf("Range %d-%d of the video: %d, %d bytes", rg[0], rg[1], r.Status, len(r.Body))
		}
	}
	if r := n.WebGet(t, host, "/local_content/No/Ne/missing"); r.Status != 404 {
		t.Errorf("missing media: %d, want 404", r.Status)
	}
	if r := n.WebDo(t, "PUT", host, "/local_content/Ab/Cd/new", []byte("x")); r.Status != 405 {
		t.Errorf("PUT on the media site: %d, want 405 (read-only)", r.Status)
	}
}
