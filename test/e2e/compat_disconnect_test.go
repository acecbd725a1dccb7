package e2e

// A client that goes away in the middle of its upload is the client's
// failure, not the server's (issue 10): IncompleteBody, logged at info,
// and nothing stored.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// metricsText is the node's /metrics page.
func metricsText(t *testing.T, n *Node) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+n.AdminAddr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+n.MetricsToken)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestClientDisconnectMidBody(t *testing.T) {
	e := newSDKEnv(t)
	bucket := e.bucket(t, "disconnect")
	const size = 8 << 20
	c, err := net.DialTimeout("tcp", e.n.S3Addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "PUT /%s/cut HTTP/1.1\r\nHost: %s\r\n", bucket, e.n.S3Addr)
	for name, vs := range signedHead(t, e.key, e.n.S3Addr, "/"+bucket+"/cut", size) {
		fmt.Fprintf(&head, "%s: %s\r\n", name, vs[0])
	}
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", size)
	c.Write([]byte(head.String()))
	c.Write(make([]byte, 3<<20))
	c.Close()

	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(metricsText(t, e.n), `code="IncompleteBody"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no IncompleteBody error counted after the client went away mid-body; errors:\n%s", grepLines(metricsText(t, e.n), "garageweb_s3_errors_total"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if log := e.n.LogTail(); strings.Contains(log, "level=ERROR") {
		t.Fatalf("a client going away was logged as an error:\n%s", grepLines(log, "level=ERROR"))
	}
	e.wantNoObject(t, bucket, "cut")
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
