package rpc

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// testClock is a hybrid clock whose readings the test sets and whose
// observations it inspects.
type testClock struct {
	now      atomic.Uint64
	mu       sync.Mutex
	observed []uint64
}

func newTestClock(now uint64) *testClock {
	c := &testClock{}
	c.now.Store(now)
	return c
}

func (c *testClock) Now() uint64 { return c.now.Load() }

func (c *testClock) Observe(ts uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.observed = append(c.observed, ts)
}

func (c *testClock) sawValue(ts uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.observed {
		if o == ts {
			return true
		}
	}
	return false
}

// node is a server and a client with one identity.
type node struct {
	id       cluster.Identity
	cfg      Config
	clock    *testClock
	srv      *Server
	cli      *Client
	addr     string
	serveErr chan error
}

func mustSecret(t testing.TB) []byte {
	t.Helper()
	s := make([]byte, SecretSize)
	if _, err := rand.Read(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustIdentity(t testing.TB) cluster.Identity {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return cluster.Identity{ID: cluster.NodeIDOf(pub), Key: key}
}

// mustNode starts a node serving on 127.0.0.1; register handlers in
// setup before it serves.
func mustNode(t testing.TB, secret []byte, now uint64, reg prometheus.Registerer, setup func(*Server)) *node {
	t.Helper()
	n := &node{id: mustIdentity(t), clock: newTestClock(now), serveErr: make(chan error, 1)}
	n.cfg = Config{Identity: n.id, Secret: secret, Clock: n.clock, Registerer: reg}
	var err error
	if n.srv, err = NewServer(n.cfg); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(n.srv)
	}
	if n.cli, err = NewClient(n.cfg); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.addr = ln.Addr().String()
	go func() { n.serveErr <- n.srv.Serve(ln) }()
	t.Cleanup(func() {
		n.cli.Close()
		if err := n.srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		select {
		case err := <-n.serveErr:
			if err != ErrServerClosed {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return n
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echo answers the caller's id followed by the body.
func echo(_ context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
	return append(from[:len(from):len(from)], body...), nil
}
