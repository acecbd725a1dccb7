package table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table/crdt"
)

// transitionPlacement reads from the old set and writes to both, as a
// node does while a layout change moves data.
type transitionPlacement struct {
	old, new []Node
	done     *atomic.Int64
}

func (p transitionPlacement) Nodes(PartitionHash) []Node { return p.old }
func (p transitionPlacement) ReadQuorum() int            { return 2 }
func (p transitionPlacement) WriteQuorum() int           { return 2 }
func (p transitionPlacement) WriteSets(PartitionHash) ([]WriteSet, func()) {
	return []WriteSet{{Nodes: p.old, Quorum: 2}, {Nodes: p.new, Quorum: 2}}, func() { p.done.Add(1) }
}

// replicas returns n in-process replicas with their table clients over p.
func replicas(t *testing.T, n int, p func([]Node) Placement) ([]*Table[counter], []*flaky) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var locals []*Local
	var nodes []*flaky
	for i := range n {
		db, err := storage.OpenDB(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		l, err := NewLocal(fmt.Sprintf("n%d", i), db, log)
		if err != nil {
			t.Fatal(err)
		}
		locals = append(locals, l)
		nodes = append(nodes, &flaky{Node: l})
	}
	all := make([]Node, n)
	for i, f := range nodes {
		all[i] = f
	}
	var tables []*Table[counter]
	for _, l := range locals {
		tb, err := New(Schema[counter]{Name: "counters", Encode: encodeCounter, Decode: decodeCounter, Stamp: stampCounter}, l, p(all), Options[counter]{})
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	return tables, nodes
}

// holders returns which of nodes hold the entry (b, k) with value v.
func holders(t *testing.T, nodes []*flaky, v string) []bool {
	t.Helper()
	out := make([]bool, len(nodes))
	for i, n := range nodes {
		raw, err := n.Node.Get(context.Background(), "counters", []byte("b"), []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		if raw != nil {
			c, err := decodeCounter(raw)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = c.V.Value == v
		}
	}
	return out
}

func countIn(has []bool, idx ...int) int {
	n := 0
	for _, i := range idx {
		if has[i] {
			n++
		}
	}
	return n
}

// TestWriteReachesEveryReplicaSet checks that during a layout change a
// write is acknowledged only once a quorum of the old and of the new
// replicas hold it, and that a read's write-back does the same.
func TestWriteReachesEveryReplicaSet(t *testing.T) {
	ctx := context.Background()
	var done atomic.Int64
	tables, nodes := replicas(t, 4, func(all []Node) Placement {
		return transitionPlacement{old: all[0:3], new: all[1:4], done: &done}
	})
	oldSet, newSet := []int{0, 1, 2}, []int{1, 2, 3}

	// n0 and n3 down: n1 and n2 are a quorum of both sets.
	nodes[0].down.Store(true)
	nodes[3].down.Store(true)
	if err := tables[1].Insert(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")}); err != nil {
		t.Fatalf("insert with a quorum of both sets up: %v", err)
	}
	has := holders(t, nodes, "v1")
	if countIn(has, oldSet...) < 2 || countIn(has, newSet...) < 2 {
		t.Fatalf("acknowledged write held by %v", has)
	}

	// n1 and n3 down: the old set has a quorum (n0, n2), the new one not.
	nodes[0].down.Store(false)
	nodes[1].down.Store(true)
	err := tables[0].Insert(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "v2")})
	if !errors.Is(err, ErrQuorum) {
		t.Fatalf("insert without a quorum of the new set: err = %v, want ErrQuorum", err)
	}
	if done.Load() != 2 {
		t.Fatalf("done called %d times for 2 writes", done.Load())
	}

	// A value on one old replica only (a coordinator that died) is read
	// with a quorum of the old set and written back to both sets.
	nodes[1].down.Store(false)
	nodes[3].down.Store(false)
	enc, err := encodeCounter(counter{PK: "b", SK: "k", V: crdt.NewLWW(3, "v3")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[0].Node.Update(ctx, "counters", [][]byte{enc}); err != nil {
		t.Fatal(err)
	}
	nodes[2].down.Store(true) // the read asks n0 and n1
	got, ok, err := tables[0].Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v3" {
		t.Fatalf("get: %+v %v %v", got, ok, err)
	}
	has = holders(t, nodes, "v3")
	if countIn(has, oldSet...) < 2 || countIn(has, newSet...) < 2 {
		t.Fatalf("value returned by a read is held by %v only", has)
	}
}
