package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBoto3 runs testdata/boto3_check.py with Debian's python3-boto3:
// 40 MiB multipart upload_file with ContentType and metadata, download_file
// and sha256 compare, head_object fields, put_object metadata, a presigned
// GET fetched by urllib (and rejected for another key), and NoSuchKey.
func TestBoto3(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "boto3")
	py := n.Boto3(t, k)
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_check.py"))
	if err != nil {
		t.Fatal(err)
	}
	o, e, err := py.Run(script, "boto3-bucket", t.TempDir())
	t.Logf("boto3_check.py output:\n%s", o)
	if err != nil {
		t.Fatalf("boto3_check.py failed: %v\nstderr:\n%s", err, clip(e))
	}
	if !strings.Contains(o, "BOTO3 OK") {
		t.Fatalf("boto3_check.py exited 0 without reaching its end (no BOTO3 OK)\nstderr:\n%s", clip(e))
	}
}
