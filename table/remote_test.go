package table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table/crdt"
)

// netCluster is three nodes, each with its Local served over a fakeNet
// and a table client on a ClusterPlacement (quorums 2/2).
type netCluster struct {
	net    *fakeNet
	ids    []cluster.NodeID
	locals []*Local
	tables []*Table[counter]
	mu     sync.Mutex
	down   map[cluster.NodeID]bool // what membership says
}

func (c *netCluster) alive(id cluster.NodeID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.down[id]
}

func (c *netCluster) setDown(i int, down bool) {
	c.mu.Lock()
	c.down[c.ids[i]] = down
	c.mu.Unlock()
}

func (c *netCluster) replicas(uint8) []cluster.NodeID { return c.ids }

func newNetCluster(t testing.TB) *netCluster {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := &netCluster{net: newFakeNet(), down: map[cluster.NodeID]bool{}}
	for i := 0; i < 3; i++ {
		c.ids = append(c.ids, testID(i))
	}
	for i, id := range c.ids {
		db, err := storage.OpenDB(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		l, err := NewLocal(id.String(), db, log)
		if err != nil {
			t.Fatal(err)
		}
		RegisterRPC(c.net.registrar(id), l)
		p, err := NewClusterPlacement(ClusterPlacementConfig{
			Self: id, Local: l, Replicas: c.replicas, Alive: c.alive,
			Proximity: func(n cluster.NodeID) (string, time.Duration) {
				return fmt.Sprint("zone", n[0]%2), time.Duration(n[0]) * time.Millisecond
			},
			ReadQuorum: 2, WriteQuorum: 2, Caller: c.net.caller(id),
		})
		if err != nil {
			t.Fatal(err)
		}
		tb, err := New(Schema[counter]{Name: "counters", Encode: encodeCounter, Decode: decodeCounter, Stamp: stampCounter}, l, p, Options[counter]{})
		if err != nil {
			t.Fatal(err)
		}
		c.locals = append(c.locals, l)
		c.tables = append(c.tables, tb)
		_ = i
	}
	return c
}

// stored returns what node i holds at (pk, sk), "" if nothing.
func (c *netCluster) stored(t testing.TB, i int, pk, sk string) string {
	t.Helper()
	raw, err := c.locals[i].Get(context.Background(), "counters", []byte(pk), []byte(sk))
	if err != nil {
		t.Fatal(err)
	}
	if raw == nil {
		return ""
	}
	e, err := decodeCounter(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e.V.Value
}

func TestRemoteWriteAtQuorum(t *testing.T) {
	c := newNetCluster(t)
	mustInsert(t, c.tables[1], counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")})
	n := 0
	for i := range c.locals {
		if c.stored(t, i, "b", "k") == "v1" {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("acknowledged write is on %d replicas, want at least 2", n)
	}
	// One replica unreachable (membership has not noticed): still a quorum.
	c.net.setCut(c.ids[2], true)
	mustInsert(t, c.tables[0], counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "v2")})
	// Two unreachable: the write fails, and says so.
	c.net.setCut(c.ids[1], true)
	if err := c.tables[0].Insert(context.Background(), counter{PK: "b", SK: "k", V: crdt.NewLWW(3, "v3")}); !errors.Is(err, ErrQuorum) {
		t.Fatalf("insert with two replicas unreachable: %v, want ErrQuorum", err)
	}
}

func TestRemoteReadMergesAndRepairs(t *testing.T) {
	ctx := context.Background()
	c := newNetCluster(t)
	// n2 misses v1, n0 misses v2.
	c.net.setCut(c.ids[2], true)
	mustInsert(t, c.tables[1], counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")})
	c.net.setCut(c.ids[2], false)
	c.net.setCut(c.ids[0], true)
	mustInsert(t, c.tables[1], counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "v2")})
	c.net.setCut(c.ids[0], false)
	c.tables[1].WaitRepairs()
	if got := c.stored(t, 0, "b", "k"); got != "v1" {
		t.Fatalf("n0 holds %q before the read, want v1", got)
	}
	// n0 reads from itself and n2 (n1 down): merged v2, and n0 repaired.
	c.setDown(1, true)
	got, ok, err := c.tables[0].Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v2" {
		t.Fatalf("get: %+v %v %v, want v2", got, ok, err)
	}
	c.tables[0].WaitRepairs()
	if got := c.stored(t, 0, "b", "k"); got != "v2" {
		t.Fatalf("n0 holds %q after read repair, want v2", got)
	}
	// Range over RPC, tombstones filtered after the merge.
	mustInsert(t, c.tables[2], counter{PK: "b", SK: "j", V: crdt.NewLWW(1, "x")}, counter{PK: "b", SK: "l", V: crdt.NewLWW(1, "")})
	es, err := c.tables[2].Range(ctx, []byte("b"), RangeQuery{Start: []byte("j"), Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].SK != "j" || es[1].SK != "k" {
		t.Fatalf("range: %+v, want j and k", es)
	}
}

func TestDownNodesFailFast(t *testing.T) {
	c := newNetCluster(t)
	c.setDown(1, true)
	c.setDown(2, true)
	before := c.net.calls.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.tables[0].Insert(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")})
	if !errors.Is(err, ErrQuorum) || !errors.Is(err, ErrNodeDown) {
		t.Fatalf("insert with two replicas down: %v, want ErrQuorum (ErrNodeDown)", err)
	}
	if _, _, err := c.tables[0].Get(ctx, []byte("b"), []byte("k")); !errors.Is(err, ErrQuorum) {
		t.Fatalf("get with two replicas down: %v, want ErrQuorum", err)
	}
	if n := c.net.calls.Load() - before; n != 0 {
		t.Fatalf("%d RPCs sent to nodes known to be down", n)
	}
}

func TestRemoteErrors(t *testing.T) {
	c := newNetCluster(t)
	r := NewRemote(c.ids[1], c.net.caller(c.ids[0]))
	ctx := context.Background()
	if _, err := r.Get(ctx, "nope", []byte("p"), []byte("k")); !errors.Is(err, ErrUnknownTable) {
		t.Fatalf("get on an unknown table: %v, want ErrUnknownTable", err)
	}
	if _, err := r.Update(ctx, "nope", [][]byte{[]byte("{}")}); !errors.Is(err, ErrUnknownTable) {
		t.Fatalf("update of an unknown table: %v, want ErrUnknownTable", err)
	}
	if _, err := r.Range(ctx, "counters", []byte("p"), RangeQuery{Filter: FilterAll}); err != nil {
		t.Fatalf("range of an empty table: %v", err)
	}
	if _, err := r.Update(ctx, "counters", [][]byte{[]byte("not json")}); err == nil || errors.Is(err, ErrUnknownTable) {
		t.Fatalf("update with a bad entry: %v, want an error", err)
	}
	expired, cancel := context.WithDeadline(ctx, time.Unix(1, 0))
	defer cancel()
	if _, err := r.Get(expired, "counters", []byte("p"), []byte("k")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get past its deadline: %v, want DeadlineExceeded", err)
	}
	// The handler side honours the deadline it is given.
	h := c.net.handlers[c.ids[1]][MethodUpdate]
	body, _ := encodeWire(updateReq{Table: "counters", Values: [][]byte{[]byte(`{"PK":"p","SK":"k"}`)}})
	out, err := h(expired, c.ids[0], body)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope[empty]
	if err := decodeWire(out, &env); err != nil || env.Err == nil || env.Err.Code != "deadline" {
		t.Fatalf("handler past its deadline answered %+v (%v), want a deadline error", env.Err, err)
	}
	// A body of another format version is refused.
	if _, err := h(ctx, c.ids[0], append([]byte{99}, body[1:]...)); err == nil {
		t.Fatal("body of an unknown version accepted")
	}
	// Get distinguishes a missing entry from an empty one.
	if v, err := r.Get(ctx, "counters", []byte("p"), []byte("none")); v != nil || err != nil {
		t.Fatalf("missing entry: %q %v, want nil", v, err)
	}
}

func TestPlacementOrder(t *testing.T) {
	ids := []cluster.NodeID{testID(10), testID(11), testID(12), testID(13), testID(14)}
	zone := map[cluster.NodeID]string{ids[0]: "a", ids[1]: "b", ids[2]: "a", ids[3]: "b", ids[4]: "a"}
	rtt := map[cluster.NodeID]time.Duration{ids[1]: 50 * time.Millisecond, ids[2]: 80 * time.Millisecond, ids[3]: 10 * time.Millisecond, ids[4]: time.Millisecond}
	down := map[cluster.NodeID]bool{ids[4]: true}
	self := ids[3]
	p, err := NewClusterPlacement(ClusterPlacementConfig{
		Self: self, Local: &Local{}, Caller: newFakeNet().caller(self),
		Replicas:   func(uint8) []cluster.NodeID { return ids },
		Alive:      func(id cluster.NodeID) bool { return !down[id] },
		Proximity:  func(id cluster.NodeID) (string, time.Duration) { return zone[id], rtt[id] },
		ReadQuorum: 2, WriteQuorum: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	// self (zone b); same zone: ids[1]; other zone by RTT: ids[2] (80ms),
	// then ids[0] (not measured); down last.
	want := []cluster.NodeID{ids[3], ids[1], ids[2], ids[0], ids[4]}
	got := p.Order(ids)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", short(got), short(want))
		}
	}
	nodes := p.Nodes(PartitionHash{})
	if nodes[0] != Node(p.cfg.Local) {
		t.Fatalf("first node %T, want the local node", nodes[0])
	}
	if _, isDown := nodes[4].(downNode); !isDown {
		t.Fatalf("last node %T, want a down node", nodes[4])
	}
}

func short(ids []cluster.NodeID) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.Short()[:2])
	}
	return out
}
