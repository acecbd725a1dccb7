package e2e

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestRclone syncs a tree with rclone (including multipart uploads), checks
// it with `rclone check` (hashes) and `rclone check --download` (bytes), then
// changes the remote behind rclone's back and requires check to fail.
func TestRclone(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "rclone")
	rc := n.Rclone(t, k)
	const bucket = "rclone-bucket"
	remote := "gw:" + bucket + "/tree"

	src := filepath.Join(t.TempDir(), "src")
	files := sampleTree(12 << 20)
	writeTree(t, src, files)

	rc.Must(t, "mkdir", "gw:"+bucket)
	// 5 MiB chunks from 5 MiB up: big.bin goes up as a 3-part multipart upload.
	rc.Must(t, "sync", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", src, remote)

	for _, extra := range [][]string{nil, {"--download"}} {
		res, err := rcloneCheck(t, rc, extra, src, remote)
		if err != nil || len(res) != 0 {
			t.Fatalf("rclone check %v after sync: %v; non-matching: %q", extra, err, res)
		}
	}
	down := filepath.Join(t.TempDir(), "down")
	rc.Must(t, "copy", remote, down)
	compareTrees(t, files, readTree(t, down))

	// Listing through rclone sees every file once.
	lsf := rc.Must(t, "lsf", "-R", "--files-only", remote)
	got := strings.Split(strings.TrimSpace(lsf), "\n")
	slices.Sort(got)
	if want := sortedKeys(files); !slices.Equal(got, want) {
		t.Fatalf("rclone lsf -R:\n got: %q\nwant: %q", got, want)
	}

	// Change one object behind rclone's back, keeping its size, so only the
	// hash comparison can notice; and add an object that is not local.
	const changed = "a/b/sibling.dat"
	evil := bytes.Clone(files[changed])
	evil[len(evil)/2] ^= 0xff
	cl := n.S3(k)
	ctx := context.Background()
	for key, body := range map[string][]byte{"tree/" + changed: evil, "tree/remote-only.txt": []byte("extra\n")} {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
	}
	want := map[string]string{changed: "*", "remote-only.txt": "-"} // * differs, - missing on the source
	for _, extra := range [][]string{nil, {"--download"}} {
		res, err := rcloneCheck(t, rc, extra, src, remote)
		if err == nil {
			t.Errorf("rclone check %v exited 0 after the remote was changed", extra)
		}
		if !maps.Equal(res, want) {
			t.Errorf("rclone check %v after the remote was changed: non-matching entries %q, want %q", extra, res, want)
		}
	}
}

// rcloneCheck runs `rclone check --combined` and returns the entries that
// are not "=" (identical): path -> symbol (- only in dst, + only in src,
// * differ, ! error). err is rclone's exit status.
func rcloneCheck(t *testing.T, rc *Tool, extra []string, src, dst string) (map[string]string, error) {
	t.Helper()
	combined := filepath.Join(t.TempDir(), "combined.txt")
	args := append(append([]string{"check", "--combined", combined}, extra...), src, dst)
	_, e, err := rc.Run(args...)
	b, rerr := os.ReadFile(combined)
	if rerr != nil {
		t.Fatalf("rclone check wrote no --combined report (%v); exit %v; stderr:\n%s", rerr, err, clip(e))
	}
	res := map[string]string{}
	nsame := 0
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		sym, path, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("rclone check --combined: bad line %q", line)
		}
		if sym == "=" {
			nsame++
			continue
		}
		res[path] = sym
	}
	if nsame == 0 {
		t.Fatalf("rclone check --combined matched no file at all; stderr:\n%s", clip(e))
	}
	return res, err
}
