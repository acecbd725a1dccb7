package autotls

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/garage-web/garage-web/internal/httplimit"
)

var netipLoopback = netip.MustParseAddr("127.0.0.1")

// The HTTPS and HTTP listeners share the node's cap of connections per
// client address: past it a connection is closed at once, and once one
// closes another is served.
func TestListenCapsConnectionsPerAddress(t *testing.T) {
	limits := httplimit.NewLimiter(2, slog.New(slog.DiscardHandler))
	srv, err := Listen(Config{
		TLSAddr:  "127.0.0.1:0",
		HTTPAddr: "127.0.0.1:0",
		CA:       "https://127.0.0.1:1/dir", // never contacted
		Policy:   NewPolicy(nil, nil),
		Storage:  NewStorage(mustModel(t), "n0", StorageOptions{}),
		Handler:  http.NotFoundHandler(),
		Logger:   slog.New(slog.DiscardHandler),
		Listener: limits.Listener,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	httpsAddr, httpAddr := srv.Addrs()[0].String(), srv.Addrs()[1].String()
	dial := func(addr string) net.Conn {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closedByServer reports whether the server closed c (rather than
	// waiting for a request on it).
	closedByServer := func(c net.Conn) bool {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return false
		}
		return err != nil
	}
	waitOpen := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for limits.Open(netipLoopback) != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections open, want %d", limits.Open(netipLoopback), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	first := dial(httpsAddr)
	dial(httpsAddr)
	waitOpen(2)
	if !closedByServer(dial(httpAddr)) {
		t.Fatal("a third connection (on the HTTP listener) was not refused")
	}
	if !closedByServer(dial(httpsAddr)) {
		t.Fatal("a third connection (on the HTTPS listener) was not refused")
	}
	first.Close()
	waitOpen(1)
	c := dial(httpAddr)
	req, _ := http.NewRequest("GET", "http://blog.example.com/", nil)
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		t.Fatalf("after one closed: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect {
		t.Fatalf("after one closed: %d", resp.StatusCode)
	}
}
