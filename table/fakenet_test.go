package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/garage-web/garage-web/cluster"
)

// fakeNet is an in-process RPC transport: each node registers handlers,
// and calls go straight to them through the encode/decode path. Like a
// real transport, a handler's error reaches the caller as a message only.
type fakeNet struct {
	mu       sync.Mutex
	handlers map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error)
	cut      map[cluster.NodeID]bool    // unreachable nodes
	pairs    map[[2]cluster.NodeID]bool // cut links, both ways
	calls    atomic.Int64
	gets     atomic.Int64 // table.get calls
}

// setPairCut cuts (or heals) the link between a and b only.
func (n *fakeNet) setPairCut(a, b cluster.NodeID, cut bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pairs == nil {
		n.pairs = map[[2]cluster.NodeID]bool{}
	}
	n.pairs[[2]cluster.NodeID{a, b}] = cut
	n.pairs[[2]cluster.NodeID{b, a}] = cut
}

func newFakeNet() *fakeNet {
	return &fakeNet{handlers: map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){}, cut: map[cluster.NodeID]bool{}}
}

var errUnreachable = errors.New("connection refused")

func (n *fakeNet) setCut(id cluster.NodeID, cut bool) {
	n.mu.Lock()
	n.cut[id] = cut
	n.mu.Unlock()
}

// registrar is node id's server side.
func (n *fakeNet) registrar(id cluster.NodeID) Registrar { return fakeRegistrar{n, id} }

// caller is node from's client side.
func (n *fakeNet) caller(from cluster.NodeID) Caller { return fakeCaller{n, from} }

type fakeRegistrar struct {
	n  *fakeNet
	id cluster.NodeID
}

func (r fakeRegistrar) Handle(method string, h func(context.Context, cluster.NodeID, []byte) ([]byte, error)) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	if r.n.handlers[r.id] == nil {
		r.n.handlers[r.id] = map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){}
	}
	r.n.handlers[r.id][method] = h
}

type fakeCaller struct {
	n    *fakeNet
	from cluster.NodeID
}

func (c fakeCaller) Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error) {
	c.n.calls.Add(1)
	if method == MethodGet {
		c.n.gets.Add(1)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.n.mu.Lock()
	h := c.n.handlers[to][method]
	cut := c.n.cut[to] || c.n.cut[c.from] || c.n.pairs[[2]cluster.NodeID{c.from, to}]
	c.n.mu.Unlock()
	if cut {
		return nil, fmt.Errorf("call %s on %s: %w", method, to.Short(), errUnreachable)
	}
	if h == nil {
		return nil, fmt.Errorf("call %s on %s: no such method", method, to.Short())
	}
	out, err := h(ctx, c.from, bytes.Clone(body))
	if err != nil {
		return nil, fmt.Errorf("remote error: %s", err.Error()) // message only
	}
	return bytes.Clone(out), nil
}

// testID returns a node id for tests.
func testID(i int) cluster.NodeID {
	var id cluster.NodeID
	id[0] = byte(i + 1)
	return id
}
