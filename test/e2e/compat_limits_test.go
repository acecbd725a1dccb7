package e2e

// Stalled clients must not stop a node (issue 10): connections that send a
// request head and then nothing, from one client address, may not take
// the file descriptors every other client needs.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// stallerAddr is the client address of the stalled connections: another
// loopback address than the well-behaved clients' 127.0.0.1 (Linux routes
// all of 127/8 to lo, so no interface is configured for it).
var stallerAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}

// stall opens n connections to addr from stallerAddr, each sending the
// head of a PUT with a 1000-byte body (under the 256 KiB the HTTP server drains by itself) and then nothing; they close at the end
// of the test.
func stall(t *testing.T, addr string, n int) {
	t.Helper()
	d := net.Dialer{LocalAddr: stallerAddr, Timeout: 10 * time.Second}
	for i := range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("stalled connection %d to %s: %v", i, addr, err)
		}
		t.Cleanup(func() { c.Close() })
		// A refused connection may already be closed: a write error is fine.
		fmt.Fprintf(c, "PUT /b/stalled-%d HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n", i, addr)
	}
}

func TestStalledConnectionsDoNotStopTheNode(t *testing.T) {
	n := startNodeWith(t, NodeOptions{NoFile: 256})
	k := n.NewKey(t, "limits")
	stall(t, n.S3Addr, 150)
	stall(t, n.WebAddr, 50)
	stall(t, n.AdminAddr, 50)

	hc := &http.Client{Timeout: 15 * time.Second}
	for name, url := range map[string]string{
		"admin /health": "http://" + n.AdminAddr + "/health",
		"web endpoint":  "http://" + n.WebAddr + "/",
	} {
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatalf("%s with 250 stalled connections from %s: %v", name, stallerAddr.IP, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s with 250 stalled connections: %s", name, resp.Status)
		}
	}
	c := n.S3(k, noRetry, func(o *s3.Options) { o.HTTPClient = hc })
	ctx := t.Context()
	if _, err := c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("S3 ListBuckets with 250 stalled connections from %s: %v", stallerAddr.IP, err)
	}
}
