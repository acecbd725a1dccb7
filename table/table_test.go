package table

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table/crdt"
)

// counter is a test entry: an LWW string per (pk, sk), deleted when empty.
type counter struct {
	PK, SK string
	V      crdt.LWW[string]
}

func (c counter) PartitionKey() []byte        { return []byte(c.PK) }
func (c counter) SortKey() []byte             { return []byte(c.SK) }
func (c counter) Merge(o counter) counter     { c.V = c.V.Merge(o.V); return c }
func (c counter) IsTombstone() bool           { return c.V.Value == "" }
func encodeCounter(c counter) ([]byte, error) { return json.Marshal(c) }
func decodeCounter(b []byte) (counter, error) {
	var c counter
	err := json.Unmarshal(b, &c)
	return c, err
}

// flaky wraps a node and fails every call while down is set.
type flaky struct {
	Node
	down atomic.Bool
}

var errDown = errors.New("node down")

func (f *flaky) Update(ctx context.Context, t string, v [][]byte) ([]uint64, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Node.Update(ctx, t, v)
}
func (f *flaky) Get(ctx context.Context, t string, pk, sk []byte) ([]byte, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Node.Get(ctx, t, pk, sk)
}
func (f *flaky) Range(ctx context.Context, t string, pk []byte, q RangeQuery) ([][]byte, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Node.Range(ctx, t, pk, q)
}

type fixedPlacement struct {
	nodes  []Node
	rq, wq int
}

func (p fixedPlacement) Nodes(PartitionHash) []Node { return p.nodes }
func (p fixedPlacement) ReadQuorum() int            { return p.rq }
func (p fixedPlacement) WriteQuorum() int           { return p.wq }

// cluster3 returns three in-process replicas, each with its own database
// and table client, all sharing one placement with quorums 2/2.
func cluster3(t *testing.T) ([]*Table[counter], []*flaky) {
	t.Helper()
	return replicas(t, 3, func(all []Node) Placement { return fixedPlacement{nodes: all, rq: 2, wq: 2} })
}

func TestQuorumWriteSurvivesOneNodeDown(t *testing.T) {
	ctx := context.Background()
	tables, nodes := cluster3(t)
	nodes[2].down.Store(true)
	if err := tables[0].Insert(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")}); err != nil {
		t.Fatalf("insert with one node down: %v", err)
	}
	nodes[1].down.Store(true)
	err := tables[0].Insert(ctx, counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "v2")})
	if !errors.Is(err, ErrQuorum) {
		t.Fatalf("insert with two nodes down: err = %v, want ErrQuorum", err)
	}
	if _, _, err := tables[0].Get(ctx, []byte("b"), []byte("k")); !errors.Is(err, ErrQuorum) {
		t.Fatalf("get with two nodes down: err = %v, want ErrQuorum", err)
	}
}

func TestReadRepairAndMerge(t *testing.T) {
	ctx := context.Background()
	tables, nodes := cluster3(t)
	// n2 misses v1; n0 misses v2: every quorum read must see v2.
	nodes[2].down.Store(true)
	mustInsert(t, tables[0], counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v1")})
	nodes[2].down.Store(false)
	nodes[0].down.Store(true)
	mustInsert(t, tables[0], counter{PK: "b", SK: "k", V: crdt.NewLWW(2, "v2")})
	nodes[0].down.Store(false)
	for i := 0; i < 3; i++ {
		nodes[i].down.Store(true)
		got, ok, err := tables[0].Get(ctx, []byte("b"), []byte("k"))
		if err != nil || !ok || got.V.Value != "v2" {
			t.Fatalf("with n%d down: got %+v ok=%v err=%v, want v2", i, got, ok, err)
		}
		nodes[i].down.Store(false)
		tables[0].WaitRepairs()
	}
	// After repair every replica holds v2 on its own.
	for i, n := range nodes {
		raw, err := n.Node.Get(ctx, "counters", []byte("b"), []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := decodeCounter(raw)
		if c.V.Value != "v2" {
			t.Fatalf("replica n%d holds %q after repair, want v2", i, c.V.Value)
		}
	}
}

func mustInsert(t testing.TB, tb *Table[counter], es ...counter) {
	t.Helper()
	if err := tb.Insert(context.Background(), es...); err != nil {
		t.Fatal(err)
	}
}

func TestRange(t *testing.T) {
	ctx := context.Background()
	tables, nodes := cluster3(t)
	keys := []string{"a", "a/1", "a/2", "b", "b/1", "c"}
	for _, k := range keys {
		mustInsert(t, tables[0], counter{PK: "p", SK: k, V: crdt.NewLWW(1, "x")})
	}
	mustInsert(t, tables[0], counter{PK: "other", SK: "a/0", V: crdt.NewLWW(1, "x")})
	mustInsert(t, tables[0], counter{PK: "p", SK: "a/2", V: crdt.NewLWW(2, "")}) // tombstone
	nodes[1].down.Store(true)                                                    // one replica down: still a quorum
	cases := []struct {
		name string
		q    RangeQuery
		want []string
	}{
		{"all", RangeQuery{}, []string{"a", "a/1", "b", "b/1", "c"}},
		{"prefix", RangeQuery{Prefix: []byte("a/")}, []string{"a/1"}},
		{"start", RangeQuery{Start: []byte("a/5")}, []string{"b", "b/1", "c"}},
		{"limit", RangeQuery{Limit: 2}, []string{"a", "a/1"}},
		{"start before prefix", RangeQuery{Start: []byte("0"), Prefix: []byte("b")}, []string{"b", "b/1"}},
		{"start after prefix", RangeQuery{Start: []byte("c"), Prefix: []byte("b")}, nil},
		{"reverse", RangeQuery{Reverse: true}, []string{"c", "b/1", "b", "a/1", "a"}},
		{"reverse start", RangeQuery{Reverse: true, Start: []byte("b/0")}, []string{"b", "a/1", "a"}},
		{"reverse exact start", RangeQuery{Reverse: true, Start: []byte("b")}, []string{"b", "a/1", "a"}},
		{"reverse prefix", RangeQuery{Reverse: true, Prefix: []byte("a")}, []string{"a/1", "a"}},
		{"reverse limit", RangeQuery{Reverse: true, Limit: 1}, []string{"c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := tables[2].Range(ctx, []byte("p"), c.q)
			if err != nil {
				t.Fatal(err)
			}
			var sks []string
			for _, e := range got {
				sks = append(sks, e.SK)
			}
			if fmt.Sprint(sks) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", sks, c.want)
			}
		})
	}
}

func TestHookEnqueuesDurableWork(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	db, err := storage.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal("n0", db, log)
	if err != nil {
		t.Fatal(err)
	}
	schema := Schema[counter]{Name: "c", Encode: encodeCounter, Decode: decodeCounter,
		Updated: func(tx *Tx, old *counter, merged counter) error {
			if old != nil && !old.IsTombstone() && merged.IsTombstone() {
				return tx.Enqueue("deleted", []byte(merged.SK))
			}
			return nil
		}}
	tb, err := New(schema, l, fixedPlacement{nodes: []Node{l}, rq: 1, wq: 1}, Options[counter]{})
	if err != nil {
		t.Fatal(err)
	}
	mustInsert(t, tb, counter{PK: "p", SK: "k", V: crdt.NewLWW(1, "x")})
	mustInsert(t, tb, counter{PK: "p", SK: "k", V: crdt.NewLWW(2, "")})
	mustInsert(t, tb, counter{PK: "p", SK: "k", V: crdt.NewLWW(2, "")}) // no change, no task
	if n := l.Queue().Len(); n != 1 {
		t.Fatalf("queue holds %d tasks, want 1", n)
	}
	var got []string
	fail := true
	l.Queue().Handle("deleted", func(_ context.Context, p []byte) error {
		if fail {
			fail = false
			return errors.New("transient")
		}
		got = append(got, string(p))
		return nil
	})
	clock := newFakeClock()
	l.Queue().now = clock.Now
	if _, err := l.Queue().RunOnce(ctx); err == nil {
		t.Fatal("first run should report the failed task")
	}
	if n, err := l.Queue().RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("run before the retry is due: n=%d err=%v, want nothing done", n, err)
	}
	clock.Advance(2 * retryBase)
	if n, err := l.Queue().RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("second run: n=%d err=%v", n, err)
	}
	if fmt.Sprint(got) != "[k]" || l.Queue().Len() != 0 {
		t.Fatalf("handled %v, queue len %d", got, l.Queue().Len())
	}
}

// A value a read returns is on a write quorum when the read returns: a
// write that reached one replica only (its coordinator died) and that a
// read saw can never be missed by a later read of the two others.
func TestReadWritesBackBeforeReturning(t *testing.T) {
	ctx := context.Background()
	tables, nodes := cluster3(t)
	enc, err := encodeCounter(counter{PK: "b", SK: "k", V: crdt.NewLWW(7, "partial")})
	if err != nil {
		t.Fatal(err)
	}
	// The partial write: on n0 only.
	if _, err := nodes[0].Node.Update(ctx, "counters", [][]byte{enc}); err != nil {
		t.Fatal(err)
	}
	nodes[2].down.Store(true) // the read asks n0 and n1
	got, ok, err := tables[0].Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "partial" {
		t.Fatalf("read with n2 down: %+v ok=%v err=%v", got, ok, err)
	}
	// No waiting for background repairs: n1 must hold it already.
	v, err := nodes[1].Node.Get(ctx, "counters", []byte("b"), []byte("k"))
	if err != nil || v == nil {
		t.Fatalf("n1 after the read returned: %q, %v; want the value read written back", v, err)
	}
	nodes[2].down.Store(false)
	nodes[0].down.Store(true) // a later read of n1 and n2
	got, ok, err = tables[0].Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "partial" {
		t.Fatalf("later read without n0: %+v ok=%v err=%v; the value seen before was lost", got, ok, err)
	}
	tables[0].WaitRepairs()
}
