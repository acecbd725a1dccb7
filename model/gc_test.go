package model

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/table"
)

// newTestGC returns the table GC of a one-node model, with a delay of an
// hour: a pass at now+2h collects what is there now, without sleeping.
func newTestGC(t testing.TB, e testEnv) *table.GC {
	t.Helper()
	var self cluster.NodeID
	self[0] = 1
	g, err := table.NewGC(table.GCConfig{
		Self: self, Local: e.local, Delay: time.Hour,
		Holders: func(uint8) []cluster.NodeID { return []cluster.NodeID{self} },
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// gcAll runs the queue, then a GC pass as if the delay had passed, then
// the block collector.
func (e testEnv) gcAll(t testing.TB, g *table.GC) table.GCStats {
	t.Helper()
	e.drain(t)
	st, err := g.CollectNow(context.Background(), time.Now().Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e.collect(t)
	return st
}

// stored counts the entries every table holds on the node.
func (e testEnv) stored(t testing.TB, tables ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	if err := e.db.View(func(tx *bolt.Tx) error {
		for _, name := range tables {
			if b := tx.Bucket([]byte(name)); b != nil {
				out[name] = b.Stats().KeyN
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// churnRound puts n objects (every tenth one a block, listed in its
// entry: it has block references), deletes them, and collects.
func churnRound(t testing.TB, e testEnv, g *table.GC, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		size := 1 << 10
		if i%10 == 0 {
			size = 20 << 10 // above the inline threshold, one block
		}
		put(t, e.m, "b", fmt.Sprintf("k%04d", i), partData(i, size))
	}
	e.drain(t)
	for i := range n {
		if err := e.m.DeleteObject(ctx, "b", fmt.Sprintf("k%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	e.gcAll(t, g)
}

func TestDeletedObjectsAreCollected(t *testing.T) {
	e := newTestModel(t)
	g := newTestGC(t, e)
	ctx := context.Background()
	const n = 200
	data := map[int][]byte{}
	for i := range n {
		data[i] = partData(i, 1<<10)
		if i%10 == 0 {
			data[i] = partData(i, 20<<10)
		}
		put(t, e.m, "b", fmt.Sprintf("k%04d", i), data[i])
	}
	e.drain(t)
	if st := e.gcAll(t, g); st.Collected != 0 {
		t.Fatalf("collected live objects: %+v", st)
	}
	for i := range n {
		if err := e.m.DeleteObject(ctx, "b", fmt.Sprintf("k%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// At delete time, what stays of an object until GC is small: no inline
	// bytes, no metadata (a one-block object keeps its block's hash).
	for i := range n {
		raw, err := e.local.Get(ctx, "objects", []byte("b"), []byte(fmt.Sprintf("k%04d", i)))
		if err != nil || raw == nil {
			t.Fatalf("k%04d: %v %v", i, raw, err)
		}
		if bytes.Contains(raw, data[i][:64]) || len(raw) > 400 {
			t.Fatalf("k%04d: deleted entry keeps %d bytes (inline data: %v)", i, len(raw), bytes.Contains(raw, data[i][:64]))
		}
	}
	list, err := e.m.ListObjects(ctx, ListInput{BucketID: "b", MaxKeys: 1000})
	if err != nil || len(list.Objects) != 0 {
		t.Fatalf("listing after delete: %d objects, %v", len(list.Objects), err)
	}
	st := e.gcAll(t, g)
	// 200 objects, 20 block references and their refs' data.
	if st.Collected < n+n/10 {
		t.Fatalf("stats %+v", st)
	}
	if got := e.stored(t, "objects", "blockrefs", "blocklists", "parts"); got["objects"] != 0 || got["blockrefs"] != 0 || got["blocklists"] != 0 {
		t.Fatalf("entries left after GC: %v", got)
	}
	if nb, _, _ := e.refs.Stats(); nb != 0 {
		t.Fatalf("%d blocks still referenced", nb)
	}
	if st, err := g.CollectNow(ctx, time.Now().Add(2*time.Hour)); err != nil || st.Pending != 0 {
		t.Fatalf("to-do list after GC: %+v %v", st, err)
	}
	// The keys are free again.
	put(t, e.m, "b", "k0001", []byte("again"))
	got, err := readAll(t, e.m, "b", "k0001")
	if err != nil || string(got) != "again" {
		t.Fatalf("read after re-put: %q %v", got, err)
	}
}

func TestOverwrittenObjectIsCompacted(t *testing.T) {
	e := newTestModel(t)
	g := newTestGC(t, e)
	ctx := context.Background()
	for i := range 20 {
		put(t, e.m, "b", "k", []byte(fmt.Sprint("v", i)))
	}
	e.drain(t)
	st := e.gcAll(t, g)
	if st.Compacted != 1 {
		t.Fatalf("stats %+v", st)
	}
	raw, err := e.local.Get(ctx, "objects", []byte("b"), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := decodeEntry[Object](raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Versions) != 1 {
		t.Fatalf("%d versions after compaction, want the current one", len(o.Versions))
	}
	if got, err := readAll(t, e.m, "b", "k"); err != nil || string(got) != "v19" {
		t.Fatalf("read after compaction: %q %v", got, err)
	}
}

func TestChurnDoesNotGrowTheDatabase(t *testing.T) {
	e := newTestModel(t)
	g := newTestGC(t, e)
	const n = 200
	churnRound(t, e, g, n)
	first := e.db.Size()
	for round := 2; round <= 5; round++ {
		churnRound(t, e, g, n)
		size := e.db.Size()
		t.Logf("round %d: %d bytes (round one: %d)", round, size, first)
		if float64(size) > 1.1*float64(first) {
			t.Fatalf("round %d: database of %d bytes, %d after round one", round, size, first)
		}
	}
	if got := e.stored(t, "objects", "blockrefs", "blocklists"); got["objects"] != 0 || got["blockrefs"] != 0 {
		t.Fatalf("entries left: %v", got)
	}
}

// TestGCKeepsSharedBlockCounts deletes one of two objects sharing a block:
// collecting the deleted one's reference tombstone does not touch the
// count the live one holds.
func TestGCKeepsSharedBlockCounts(t *testing.T) {
	e := newTestModel(t)
	g := newTestGC(t, e)
	ctx := context.Background()
	data := partData(7, 20<<10) // one block, listed in the entry
	put(t, e.m, "b", "a", data)
	put(t, e.m, "b", "b", data)
	e.drain(t)
	if nb, _, _ := e.refs.Stats(); nb != 1 {
		t.Fatalf("%d blocks referenced, want 1 shared", nb)
	}
	if err := e.m.DeleteObject(ctx, "b", "a"); err != nil {
		t.Fatal(err)
	}
	if st := e.gcAll(t, g); st.Collected < 2 { // the object and its block reference
		t.Fatalf("stats %+v", st)
	}
	if got := e.stored(t, "blockrefs"); got["blockrefs"] != 1 {
		t.Fatalf("block references left: %v, want the live one", got)
	}
	if nb, _, _ := e.refs.Stats(); nb != 1 {
		t.Fatalf("%d blocks referenced after GC, want 1", nb)
	}
	if got, err := readAll(t, e.m, "b", "b"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read of the live object: %d bytes, %v", len(got), err)
	}
	if err := e.m.DeleteObject(ctx, "b", "b"); err != nil {
		t.Fatal(err)
	}
	e.gcAll(t, g)
	if nb, _, _ := e.refs.Stats(); nb != 0 {
		t.Fatalf("%d blocks referenced after deleting both", nb)
	}
}

// TestGCCollectsUploadsAndCertFiles: a completed then deleted multipart
// object, an aborted upload and deleted certificate files leave nothing.
func TestGCCollectsUploadsAndCertFiles(t *testing.T) {
	e := newTestModel(t)
	g := newTestGC(t, e)
	ctx := context.Background()
	up, err := e.m.CreateUpload(ctx, "b", "mp", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	list := uploadParts(t, e.m, "b", "mp", up, 3)
	if _, err := e.m.CompleteUpload(ctx, "b", "mp", up, list, WriteConditions{}); err != nil {
		t.Fatal(err)
	}
	ab, err := e.m.CreateUpload(ctx, "b", "ab", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	uploadParts(t, e.m, "b", "ab", ab, 2)
	if err := e.m.AbortUpload(ctx, "b", "ab", ab); err != nil {
		t.Fatal(err)
	}
	if err := e.m.DeleteObject(ctx, "b", "mp"); err != nil {
		t.Fatal(err)
	}
	if err := e.m.PutCertFile(ctx, "acme/site/cert", []byte("pem")); err != nil {
		t.Fatal(err)
	}
	if err := e.m.DeleteCertFiles(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	e.gcAll(t, g)
	e.gcAll(t, g) // what the first pass's queue work deleted
	got := e.stored(t, "objects", "parts", "blocklists", "blockrefs", "certfiles")
	for name, n := range got {
		if n != 0 {
			t.Fatalf("entries left after GC: %v (%s)", got, name)
		}
	}
}
