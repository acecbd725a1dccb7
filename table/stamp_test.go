package table

import (
	"context"
	"testing"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/table/crdt"
)

// stampCounter is the Stamp of the test entries: their LWW timestamp.
func stampCounter(c counter) uint64 { return c.V.TS }

// TestInsertStampedReportsPriorOfQuorum: a write acknowledged by two of
// three replicas (the third unreachable) is reported as the prior stamp
// of a later write acknowledged by another two, whichever node writes.
func TestInsertStampedReportsPriorOfQuorum(t *testing.T) {
	ctx := context.Background()
	c := newNetCluster(t)
	fresh, err := c.tables[2].InsertStamped(ctx, counter{PK: "b", SK: "new", V: crdt.NewLWW(7, "x")})
	if err != nil || fresh != (Prior{Stamp: 0, Known: true}) {
		t.Fatalf("first write of a key: prior %+v, %v; want stamp 0, known", fresh, err)
	}

	c.net.setCut(c.ids[2], true)
	p, err := c.tables[0].InsertStamped(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(100, "fast")})
	if err != nil || p != (Prior{Stamp: 0, Known: true}) {
		t.Fatalf("write on n0+n1: prior %+v, %v; want stamp 0, known", p, err)
	}
	c.net.setCut(c.ids[2], false)
	c.net.setCut(c.ids[0], true) // n2 and n1 make the next quorum
	p, err = c.tables[2].InsertStamped(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(50, "slow")})
	if err != nil || p != (Prior{Stamp: 100, Known: true}) {
		t.Fatalf("write on n2+n1 after one on n0+n1: prior %+v, %v; want stamp 100 (from n1), known", p, err)
	}
	c.net.setCut(c.ids[0], false)

	// n0 and n1 hold 100, n2 only 50: any two of them report 100.
	p, err = c.tables[1].InsertStamped(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(200, "later")})
	if err != nil || !p.Known || p.Stamp != 100 {
		t.Fatalf("third write: prior %+v, %v; want stamp 100, known", p, err)
	}
}

// TestInsertStampedOldReplica: a replica that answers table.update
// without prior stamps (a node of an older version) makes the prior
// unknown, and an old caller still understands a new node's answer.
func TestInsertStampedOldReplica(t *testing.T) {
	ctx := context.Background()
	c := newNetCluster(t)
	old := c.locals[1]
	c.net.registrar(c.ids[1]).Handle(MethodUpdate, serve(func(ctx context.Context, _ cluster.NodeID, req updateReq) (empty, error) {
		_, err := old.Update(ctx, req.Table, req.Values)
		return empty{}, err
	}))
	c.net.setCut(c.ids[2], true) // the quorum is n0 and the old n1
	p, err := c.tables[0].InsertStamped(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "x")})
	if err != nil || p.Known {
		t.Fatalf("prior %+v, %v; want unknown", p, err)
	}
	c.net.setCut(c.ids[2], false)

	// An old caller decodes the answer of a new node (n2) as empty.
	val, _ := encodeCounter(counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "y")})
	if _, err := call[updateReq, empty](ctx, c.net.caller(c.ids[0]), c.ids[2], MethodUpdate, updateReq{Table: "counters", Values: [][]byte{val}}); err != nil {
		t.Fatalf("old caller, new node: %v", err)
	}
}

// TestLocalUpdateReportsPriorPerValue: values of one batch are merged in
// order, each reporting the entry it found.
func TestLocalUpdateReportsPriorPerValue(t *testing.T) {
	ctx := context.Background()
	c := newNetCluster(t)
	var vals [][]byte
	for _, ts := range []uint64{5, 3, 9} {
		v, _ := encodeCounter(counter{PK: "p", SK: "k", V: crdt.NewLWW(ts, "v")})
		vals = append(vals, v)
	}
	other, _ := encodeCounter(counter{PK: "p", SK: "other", V: crdt.NewLWW(1, "v")})
	vals = append(vals, other)
	prior, err := c.locals[0].Update(ctx, "counters", vals)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{0, 5, 5, 0}; len(prior) != len(want) || prior[0] != 0 || prior[1] != 5 || prior[2] != 5 || prior[3] != 0 {
		t.Fatalf("prior stamps %v, want %v", prior, want)
	}
	// Over RPC too.
	prior, err = NewRemote(c.ids[0], c.net.caller(c.ids[1])).Update(ctx, "counters", vals[:1])
	if err != nil || len(prior) != 1 || prior[0] != 9 {
		t.Fatalf("remote update: prior %v, %v; want [9]", prior, err)
	}
}
