package e2e

// A full disk is a clear, retryable S3 error, not an internal error
// (issue 10). Needs root (tmpfs), as the other fault tests.

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestDiskFullAnswers503(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestDiskFullAnswers503 mounts a tmpfs: run the e2e tests as root (.ci/run does)")
	}
	n := newNode(t, "", freePorts(t, nodePorts), NodeOptions{}, nodeReplication{Factor: 1, Secret: randHex(t, 32)})
	if err := os.MkdirAll(n.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", n.DataDir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	// Lazy: the node may still hold files there when this runs.
	t.Cleanup(func() { exec.Command("umount", "-l", n.DataDir).Run() })
	n.Start(t)
	k := n.NewKey(t, "full")
	n.CreateBucket(t, "full", k)
	c := n.S3(k, noRetry)
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("big"), Body: bytes.NewReader(randBytes(7, 8<<20))})
	wantAPIErr(t, err, "ServiceUnavailable", 503)
	if !strings.Contains(err.Error(), "full") {
		t.Fatalf("disk full answer does not say so: %v", err)
	}
	if _, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("full"), Key: aws.String("big")}); err == nil {
		t.Fatal("the refused object exists")
	}
}
