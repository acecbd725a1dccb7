package rpc_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/cluster/rpc"
)

// wallClock is a minimal hybrid clock; nodes use table/crdt.Clock.
type wallClock struct {
	mu   sync.Mutex
	last uint64
}

func (c *wallClock) Now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last+1, uint64(time.Now().UnixMilli()))
	return c.last
}

func (c *wallClock) Observe(ts uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last, ts)
}

func newIdentity() cluster.Identity {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	return cluster.Identity{ID: cluster.NodeIDOf(pub), Key: key}
}

func Example() {
	secret := make([]byte, rpc.SecretSize) // in real life: rpc_secret from the config
	_, _ = rand.Read(secret)

	// Node b serves a method.
	b := rpc.Config{Identity: newIdentity(), Secret: secret, Clock: &wallClock{}}
	srv, err := rpc.NewServer(b)
	if err != nil {
		panic(err)
	}
	srv.Handle("demo.hello", func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
		return []byte("hello, " + string(body)), nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	// Node a calls it by id and address.
	cli, err := rpc.NewClient(rpc.Config{Identity: newIdentity(), Secret: secret, Clock: &wallClock{}})
	if err != nil {
		panic(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := cli.Call(ctx, b.Identity.ID, ln.Addr().String(), "demo.hello", []byte("a"))
	fmt.Println(string(out), err)

	_, err = cli.Call(ctx, b.Identity.ID, ln.Addr().String(), "demo.nothing", nil)
	fmt.Println(err)
	// Output:
	// hello, a <nil>
	// rpc: unknown_method: no method "demo.nothing"
}
