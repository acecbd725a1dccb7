package e2e

// /health says degraded while the data disk is full, and healthy again
// once space is back (issue 10). Needs root (tmpfs), as the other fault
// tests.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type healthAnswer struct {
	code    int
	Status  string `json:"status"`
	Message string `json:"message"`
}

func getHealth(t *testing.T, n *Node) healthAnswer {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + n.AdminAddr + "/health")
	if err != nil {
		t.Fatalf("GET /health: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	h := healthAnswer{code: resp.StatusCode}
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("/health answered %d %q: %v", resp.StatusCode, body, err)
	}
	return h
}

// waitHealth polls /health until ok accepts the answer, for at most d.
func waitHealth(t *testing.T, n *Node, d time.Duration, what string, ok func(healthAnswer) bool) healthAnswer {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		h := getHealth(t, n)
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health not %s after %v: last %d %+v", what, d, h.code, h)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestHealthDegradedOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestHealthDegradedOnFullDisk mounts a tmpfs: run the e2e tests as root (.ci/run does)")
	}
	n := newNode(t, "", freePorts(t, nodePorts), NodeOptions{}, nodeReplication{Factor: 1, Secret: randHex(t, 32)})
	if err := os.MkdirAll(n.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", n.DataDir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", n.DataDir).Run() })
	n.Start(t)
	if h := getHealth(t, n); h.code != 200 || h.Status != "healthy" {
		t.Fatalf("before the disk fills: %d %+v", h.code, h)
	}
	k := n.NewKey(t, "full")
	n.CreateBucket(t, "full", k)
	c := n.S3(k, noRetry)
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("big"), Body: bytes.NewReader(randBytes(11, 8<<20))})
	wantAPIErr(t, err, "ServiceUnavailable", 503)

	// The failed write marks data_dir full at once (its measurement runs
	// right after the failure, not on the next interval).
	h := waitHealth(t, n, 20*time.Second, "degraded", func(h healthAnswer) bool { return h.code == 503 })
	if h.Status != "degraded" || !strings.HasPrefix(h.Message, "data_dir full: ") || !strings.HasSuffix(h.Message, " bytes free") {
		t.Fatalf("full disk: %d %+v", h.code, h)
	}

	// Space comes back: the tmpfs grows to 64 MiB.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", n.DataDir).CombinedOutput(); err != nil {
		t.Fatalf("remount tmpfs: %v: %s", err, out)
	}
	waitHealth(t, n, 30*time.Second, "healthy", func(h healthAnswer) bool { return h.code == 200 && h.Status == "healthy" })
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("big"), Body: bytes.NewReader(randBytes(11, 8<<20))}); err != nil {
		t.Fatalf("PUT once space is back: %v", err)
	}
	if h := getHealth(t, n); h.code != 200 {
		t.Fatalf("after a successful PUT: %d %+v", h.code, h)
	}
}
