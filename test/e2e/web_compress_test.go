package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestWebCompressOnTheFly: a text page without precompressed siblings is
// compressed for each coding real curl asks for (and decodes), and sent as
// stored for a range.
func TestWebCompressOnTheFly(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "compress")
	n.CreateBucket(t, "zipped", k)
	page := bytes.Repeat([]byte("<p>garage-web compresses text responses on the fly.</p>\n"), 400)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := n.S3(k).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("zipped"), Key: aws.String("page.html"),
		Body: bytes.NewReader(page), ContentType: aws.String("text/html; charset=utf-8")}); err != nil {
		t.Fatal(err)
	}
	n.CLI(t, "bucket", "website", "zipped", "--allow", "--index-document", "index.html")
	host := n.WebHost("zipped")
	curl := requireTool(t, "curl", "curl")

	for _, coding := range []string{"br", "zstd", "gzip"} {
		out := filepath.Join(t.TempDir(), "body")
		cmd := exec.CommandContext(ctx, curl, "-sS", "--compressed", "-H", "Accept-Encoding: "+coding, "-H", "Host: "+host,
			"-D", "-", "-o", out, "http://"+n.WebAddr+"/page.html")
		headers, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl %s: %v", coding, err)
		}
		h := strings.ToLower(string(headers))
		if !strings.Contains(h, "content-encoding: "+coding+"\r\n") || !strings.Contains(h, "vary: accept-encoding\r\n") || !strings.Contains(h, "-"+coding+`"`) {
			t.Errorf("%s: headers:\n%s", coding, headers)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, page) {
			t.Errorf("%s: curl decoded %d bytes, want the %d-byte page", coding, len(got), len(page))
		}
	}

	r := n.WebGet(t, host, "/page.html", "Accept-Encoding", "br")
	if r.Header.Get("Content-Encoding") != "br" || len(r.Body) >= len(page)/4 {
		t.Fatalf("br: encoding %q, %d bytes for a %d-byte page", r.Header.Get("Content-Encoding"), len(r.Body), len(page))
	}
	if got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(r.Body))); err != nil || !bytes.Equal(got, page) {
		t.Fatalf("br body does not decode to the page: %v", err)
	}
	r = n.WebGet(t, host, "/page.html", "Accept-Encoding", "br", "Range", "bytes=0-9")
	if r.Status != 206 || r.Header.Get("Content-Encoding") != "" || string(r.Body) != string(page[:10]) {
		t.Errorf("range: %d encoding %q body %q", r.Status, r.Header.Get("Content-Encoding"), r.Body)
	}
}
