package table

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table/crdt"
)

// TestQuorumNeverLowered checks that a placement giving fewer replicas
// than the quorum, or too few replicas answering, fails with ErrQuorum and
// writes nothing anywhere that a later read would take for acknowledged.
func TestQuorumNeverLowered(t *testing.T) {
	ctx := context.Background()
	tables, nodes := cluster3(t)
	e := counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")}

	t.Run("fewer replicas placed than the quorum", func(t *testing.T) {
		for _, n := range []int{0, 1} {
			p := fixedPlacement{nodes: []Node{nodes[0], nodes[1]}[:n], rq: 2, wq: 2}
			tb := &Table[counter]{schema: tables[0].schema, local: tables[0].local, placement: p, log: tables[0].log}
			if err := tb.Insert(ctx, e); !errors.Is(err, ErrQuorum) {
				t.Fatalf("insert on %d replicas: err = %v, want ErrQuorum", n, err)
			}
			if _, _, err := tb.Get(ctx, []byte("b"), []byte("k")); !errors.Is(err, ErrQuorum) {
				t.Fatalf("get on %d replicas: err = %v, want ErrQuorum", n, err)
			}
			if _, err := tb.Range(ctx, []byte("b"), RangeQuery{}); !errors.Is(err, ErrQuorum) {
				t.Fatalf("range on %d replicas: err = %v, want ErrQuorum", n, err)
			}
		}
		for i, n := range nodes {
			if raw, err := n.Node.Get(ctx, "counters", []byte("b"), []byte("k")); err != nil || raw != nil {
				t.Fatalf("replica n%d holds %q (err %v) after a refused write", i, raw, err)
			}
		}
	})

	t.Run("only one replica answers", func(t *testing.T) {
		nodes[1].down.Store(true)
		nodes[2].down.Store(true)
		defer nodes[1].down.Store(false)
		defer nodes[2].down.Store(false)
		if err := tables[0].Insert(ctx, e, counter{PK: "other", SK: "k", V: crdt.NewLWW(1, "x")}); !errors.Is(err, ErrQuorum) {
			t.Fatalf("insert of two partitions: err = %v, want ErrQuorum", err)
		}
		if _, err := tables[0].Range(ctx, []byte("b"), RangeQuery{}); !errors.Is(err, ErrQuorum) {
			t.Fatalf("range: err = %v, want ErrQuorum", err)
		}
	})

	t.Run("one remote replica of one, down", func(t *testing.T) {
		nodes[1].down.Store(true)
		defer nodes[1].down.Store(false)
		p := fixedPlacement{nodes: []Node{nodes[1]}, rq: 1, wq: 1}
		tb := &Table[counter]{schema: tables[0].schema, local: tables[0].local, placement: p, log: tables[0].log}
		if err := tb.Insert(ctx, e); !errors.Is(err, ErrQuorum) || !errors.Is(err, errDown) {
			t.Fatalf("insert: err = %v, want ErrQuorum wrapping the node's error", err)
		}
	})
}

// TestSinglePlacement checks the one-node placement keeps working with its
// quorums of 1.
func TestSinglePlacement(t *testing.T) {
	ctx := context.Background()
	db, err := storage.OpenDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := NewLocal("n0", db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := New(Schema[counter]{Name: "c", Encode: encodeCounter, Decode: decodeCounter}, l, Single{Local: l}, Options[counter]{})
	if err != nil {
		t.Fatal(err)
	}
	mustInsert(t, tb, counter{PK: "p", SK: "k", V: crdt.NewLWW(1, "x")})
	got, ok, err := tb.Get(ctx, []byte("p"), []byte("k"))
	if err != nil || !ok || got.V.Value != "x" {
		t.Fatalf("get: %+v %v %v", got, ok, err)
	}
	if es, err := tb.Range(ctx, []byte("p"), RangeQuery{}); err != nil || len(es) != 1 {
		t.Fatalf("range: %v %v", es, err)
	}
}
