package table

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/table/crdt"
)

// The table.get wire format before getReq.Digest and getRes.Same.
type (
	oldGetReq struct {
		Table string `cbor:"1,keyasint"`
		PK    []byte `cbor:"2,keyasint"`
		SK    []byte `cbor:"3,keyasint"`
	}
	oldGetRes struct {
		Found bool   `cbor:"1,keyasint"`
		Value []byte `cbor:"2,keyasint"`
	}
)

// serveOldGet makes node i of c answer table.get as a node that predates
// the digest does.
func serveOldGet(c *netCluster, i int) {
	l := c.locals[i]
	c.net.registrar(c.ids[i]).Handle(MethodGet, serve(func(ctx context.Context, _ cluster.NodeID, req oldGetReq) (oldGetRes, error) {
		v, err := l.Get(ctx, req.Table, req.PK, req.SK)
		return oldGetRes{Found: v != nil, Value: v}, err
	}))
}

// getRecorder is a Caller that keeps the decoded table.get answers.
type getRecorder struct {
	Caller
	mu  sync.Mutex
	got []getRes
}

func (r *getRecorder) Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error) {
	out, err := r.Caller.Call(ctx, to, method, body)
	if err == nil && method == MethodGet {
		var env envelope[getRes]
		if derr := decodeWire(out, &env); derr == nil {
			r.mu.Lock()
			r.got = append(r.got, env.Res)
			r.mu.Unlock()
		}
	}
	return out, err
}

func (r *getRecorder) answers() []getRes {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]getRes(nil), r.got...)
}

// recordedTable is node 0's counters table of c, reaching the others
// through a getRecorder.
func recordedTable(t *testing.T, c *netCluster) (*Table[counter], *getRecorder) {
	t.Helper()
	rec := &getRecorder{Caller: c.net.caller(c.ids[0])}
	p, err := NewClusterPlacement(ClusterPlacementConfig{
		Self: c.ids[0], Local: c.locals[0], Replicas: c.replicas, Alive: c.alive,
		ReadQuorum: 2, WriteQuorum: 2, Caller: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	tb := c.tables[0]
	return &Table[counter]{schema: tb.schema, local: tb.local, placement: p, log: tb.log, hedge: time.Hour}, rec
}

// store writes e to the local stores of nodes idx of c directly, so that
// each of them holds it when store returns (a quorum write returns before
// the last replica has it).
func store(t *testing.T, c *netCluster, e counter, idx ...int) {
	t.Helper()
	enc, err := encodeCounter(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range idx {
		if _, err := c.locals[i].Update(context.Background(), "counters", [][]byte{enc}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGetDigestSame checks that a replica holding the coordinator's value
// answers "same" without the value, and one holding another value sends
// it and gets repaired.
func TestGetDigestSame(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := newNetCluster(t)
	store(t, c, counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")}, 0, 1, 2)
	tb, rec := recordedTable(t, c)
	got, ok, err := tb.Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v1" {
		t.Fatalf("get: %+v %v %v", got, ok, err)
	}
	a := rec.answers()
	if len(a) != 1 || !a[0].Found || !a[0].Same || len(a[0].Value) != 0 {
		t.Fatalf("answers %+v, want one Found+Same without a value", a)
	}

	// n0 alone misses v2: the remote asked differs from it and sends its
	// value; n0 is repaired.
	store(t, c, counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "v2")}, 1, 2)
	got, ok, err = tb.Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v2" {
		t.Fatalf("get after n0 missed v2: %+v %v %v", got, ok, err)
	}
	a = rec.answers()[1:]
	if len(a) != 1 || a[0].Same || len(a[0].Value) == 0 {
		t.Fatalf("answers %+v, want the differing value itself", a)
	}
	tb.WaitRepairs()
	if v := c.stored(t, 0, "b", "k"); v != "v2" {
		t.Fatalf("n0 holds %q after the read, want v2 (read repair)", v)
	}

	// Nothing stored locally: no digest, the remote answers as before.
	store(t, c, counter{PK: "b", SK: "z", V: crdt.NewLWW(1, "z")}, 1, 2)
	got, ok, err = tb.Get(ctx, []byte("b"), []byte("z"))
	if err != nil || !ok || got.V.Value != "z" {
		t.Fatalf("get of a key n0 lacks: %+v %v %v", got, ok, err)
	}
	a = rec.answers()[2:]
	if len(a) != 1 || a[0].Same || len(a[0].Value) == 0 {
		t.Fatalf("answers %+v, want the value itself", a)
	}
	tb.WaitRepairs()
}

// TestGetDigestOldNodes checks both directions of a mixed-version
// cluster: a new coordinator reading from a node that ignores the digest,
// and an old caller reading from a new node.
func TestGetDigestOldNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := newNetCluster(t)
	serveOldGet(c, 1)
	serveOldGet(c, 2)
	store(t, c, counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")}, 0, 1, 2)
	tb, rec := recordedTable(t, c)
	got, ok, err := tb.Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v1" {
		t.Fatalf("get from old nodes: %+v %v %v", got, ok, err)
	}
	if a := rec.answers(); len(a) != 1 || a[0].Same || len(a[0].Value) == 0 {
		t.Fatalf("old node's answers %+v, want the value", a)
	}
	// An old node holding a newer value than the coordinator's.
	store(t, c, counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "v2")}, 1, 2)
	if got, ok, err := tb.Get(ctx, []byte("b"), []byte("k")); err != nil || !ok || got.V.Value != "v2" {
		t.Fatalf("get of a newer value from an old node: %+v %v %v", got, ok, err)
	}
	tb.WaitRepairs()

	// An old caller (no digest field) reading from a new node gets the
	// value, never Same.
	want, err := c.locals[0].Get(ctx, "counters", []byte("b"), []byte("k"))
	if err != nil || want == nil {
		t.Fatalf("local value: %q %v", want, err)
	}
	res, err := call[oldGetReq, getRes](ctx, c.net.caller(c.ids[1]), c.ids[0], MethodGet, oldGetReq{Table: "counters", PK: []byte("b"), SK: []byte("k")})
	if err != nil || !res.Found || res.Same || !bytes.Equal(res.Value, want) {
		t.Fatalf("old caller: %+v %v, want the value %q", res, err, want)
	}
}

// TestGetUnlessSameOnTheWire checks Remote.getHolders with a digest against a new
// node: the right digest gives Same, a wrong one the value, a missing key
// not found.
func TestGetUnlessSameOnTheWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := newNetCluster(t)
	store(t, c, counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")}, 0, 1, 2)
	v, err := c.locals[1].Get(ctx, "counters", []byte("b"), []byte("k"))
	if err != nil || v == nil {
		t.Fatalf("n1 value: %q %v", v, err)
	}
	r := NewRemote(c.ids[1], c.net.caller(c.ids[0]))
	if got, same, _, err := r.getHolders(ctx, "counters", []byte("b"), []byte("k"), valueDigest(v)); err != nil || !same || got != nil {
		t.Fatalf("right digest: %q same=%v %v", got, same, err)
	}
	if got, same, _, err := r.getHolders(ctx, "counters", []byte("b"), []byte("k"), valueDigest([]byte("other"))); err != nil || same || !bytes.Equal(got, v) {
		t.Fatalf("wrong digest: %q same=%v %v", got, same, err)
	}
	if got, same, _, err := r.getHolders(ctx, "counters", []byte("b"), []byte("nope"), valueDigest(v)); err != nil || same || got != nil {
		t.Fatalf("missing key: %q same=%v %v", got, same, err)
	}
}
