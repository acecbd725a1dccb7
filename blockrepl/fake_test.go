package blockrepl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// errUnreachable is what the fake network answers for a node that is cut
// off.
var errUnreachable = errors.New("fake network: node unreachable")

// fakeNet is an in-process network: node id → registered handlers. Calls
// go through the real encode and decode path; bodies are copied both ways,
// as a real transport would.
type fakeNet struct {
	mu       sync.Mutex
	handlers map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error)
	down     map[cluster.NodeID]bool
	// hold, if set for a node, makes its calls wait until the channel is
	// closed (or the call's context ends).
	hold  map[cluster.NodeID]chan struct{}
	calls []call // every call made, in order
}

type call struct {
	from, to cluster.NodeID
	method   string
}

func newFakeNet() *fakeNet {
	return &fakeNet{
		handlers: map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){},
		down:     map[cluster.NodeID]bool{},
		hold:     map[cluster.NodeID]chan struct{}{},
	}
}

// registrar returns the Registrar of node id.
func (f *fakeNet) registrar(id cluster.NodeID) Registrar { return fakeRegistrar{f, id} }

// caller returns the Caller of node id.
func (f *fakeNet) caller(id cluster.NodeID) Caller { return fakeCaller{f, id} }

func (f *fakeNet) setDown(id cluster.NodeID, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[id] = down
}

func (f *fakeNet) isDown(id cluster.NodeID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down[id]
}

// holdNode makes calls to id wait; the returned function lets them go.
func (f *fakeNet) holdNode(id cluster.NodeID) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.hold[id] = ch
	f.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// callsTo returns the nodes called with method, in order.
func (f *fakeNet) callsTo(method string) []cluster.NodeID {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cluster.NodeID
	for _, c := range f.calls {
		if c.method == method {
			out = append(out, c.to)
		}
	}
	return out
}

func (f *fakeNet) resetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

type fakeRegistrar struct {
	f  *fakeNet
	id cluster.NodeID
}

func (r fakeRegistrar) Handle(method string, h func(context.Context, cluster.NodeID, []byte) ([]byte, error)) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if r.f.handlers[r.id] == nil {
		r.f.handlers[r.id] = map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){}
	}
	r.f.handlers[r.id][method] = h
}

type fakeCaller struct {
	f    *fakeNet
	from cluster.NodeID
}

func (c fakeCaller) Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error) {
	f := c.f
	f.mu.Lock()
	f.calls = append(f.calls, call{c.from, to, method})
	h := f.handlers[to][method]
	down, hold := f.down[to], f.hold[to]
	f.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if down {
		return nil, fmt.Errorf("call %s on %s: %w", method, to.Short(), errUnreachable)
	}
	if h == nil {
		return nil, fmt.Errorf("call %s on %s: no such method", method, to.Short())
	}
	resp, err := h(ctx, c.from, bytes.Clone(body))
	if err != nil {
		return nil, err
	}
	return bytes.Clone(resp), nil
}

// testCluster is a set of storage nodes with real block stores, served
// through one fakeNet.
type testCluster struct {
	net    *fakeNet
	ids    []cluster.NodeID
	stores map[cluster.NodeID]*storage.BlockStore
}

// nodeID returns a recognisable id: every byte is b.
func nodeID(b byte) cluster.NodeID {
	var id cluster.NodeID
	for i := range id {
		id[i] = b
	}
	return id
}

// mustCluster starts n storage nodes (ids 1..n) with block stores in temp
// directories, registered on a fresh fake network.
func mustCluster(t testing.TB, n int) *testCluster {
	t.Helper()
	c := &testCluster{net: newFakeNet(), stores: map[cluster.NodeID]*storage.BlockStore{}}
	for i := range n {
		id := nodeID(byte(i + 1))
		bs, err := storage.OpenBlockStore(t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		Register(c.net.registrar(id), bs, nil)
		c.ids = append(c.ids, id)
		c.stores[id] = bs
	}
	return c
}

// store returns the Store of node self (a storage node of c, or a gateway
// when self has no store), with every node of c as replica of every block.
// The network's down set is the Alive function unless alive is given.
func (c *testCluster) store(t testing.TB, self cluster.NodeID, mod func(*Config)) *Store {
	t.Helper()
	cfg := Config{
		Node:        self,
		Local:       c.stores[self],
		Caller:      c.net.caller(self),
		Replicas:    func(storage.Hash) []cluster.NodeID { return c.ids },
		WriteQuorum: func() int { return 2 },
		Alive:       func(n cluster.NodeID) bool { return !c.net.isDown(n) },
	}
	if mod != nil {
		mod(&cfg)
	}
	s := New(cfg)
	t.Cleanup(s.Wait) // background writes end before the temp dirs go
	return s
}

// corruptBlock flips one byte of the file holding h on bs.
func corruptBlock(t testing.TB, bs *storage.BlockStore, h storage.Hash) {
	t.Helper()
	x := h.String()
	matches, err := filepath.Glob(filepath.Join(bs.Dir(), x[0:2], x[2:4], x+"*"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("block file of %s: %v, %v", h, matches, err)
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x40
	if err := os.WriteFile(matches[0], raw, 0o600); err != nil {
		t.Fatal(err)
	}
}
