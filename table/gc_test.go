package table

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/table/crdt"
)

const testGCDelay = time.Hour

// gcCluster is a netCluster whose nodes serve the GC RPC, with one GC
// per node (every node holds every partition).
type gcCluster struct {
	*netCluster
	gcs []*GC
}

func newGCCluster(t testing.TB) *gcCluster {
	t.Helper()
	c := &gcCluster{netCluster: newNetCluster(t)}
	for i, id := range c.ids {
		RegisterGCRPC(c.net.registrar(id), c.locals[i])
		g, err := NewGC(GCConfig{
			Self: id, Local: c.locals[i], Caller: c.net.caller(id), Alive: c.alive,
			Holders: c.replicas, Delay: testGCDelay,
		})
		if err != nil {
			t.Fatal(err)
		}
		c.gcs = append(c.gcs, g)
	}
	return c
}

// putAll stores e on every node directly (as if every replica had
// acknowledged it).
func (c *gcCluster) putAll(t testing.TB, e counter) {
	t.Helper()
	for i := range c.locals {
		c.put(t, i, e)
	}
}

func (c *gcCluster) put(t testing.TB, i int, e counter) {
	t.Helper()
	v, err := encodeCounter(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.locals[i].Update(context.Background(), "counters", [][]byte{v}); err != nil {
		t.Fatal(err)
	}
}

// present reports, per node, whether it stores anything at (pk, sk).
func (c *gcCluster) present(t testing.TB, pk, sk string) []bool {
	t.Helper()
	out := make([]bool, len(c.locals))
	for i, l := range c.locals {
		raw, err := l.Get(context.Background(), "counters", []byte(pk), []byte(sk))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = raw != nil
	}
	return out
}

func mustCollect(t testing.TB, g *GC, now time.Time) GCStats {
	t.Helper()
	st, err := g.CollectNow(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestGCCollectsAfterDelayWhenAllHoldersAreUp(t *testing.T) {
	c := newGCCluster(t)
	c.putAll(t, counter{PK: "p", SK: "k", V: crdt.NewLWW(1, "a")})
	c.putAll(t, counter{PK: "p", SK: "k", V: crdt.NewLWW(2, "")}) // deleted
	c.putAll(t, counter{PK: "p", SK: "live", V: crdt.NewLWW(1, "stays")})
	now := time.Now()

	if st := mustCollect(t, c.gcs[0], now); st.Collected != 0 {
		t.Fatalf("collected before the delay: %+v", st)
	}
	later := now.Add(2 * testGCDelay)

	// A holder that membership says is down: postponed, nothing deleted.
	c.setDown(2, true)
	if st := mustCollect(t, c.gcs[0], later); st.Collected != 0 || st.Postponed != 1 {
		t.Fatalf("with a holder down: %+v", st)
	}
	c.setDown(2, false)
	// A holder that membership thinks is up but cannot be reached.
	c.net.setCut(c.ids[2], true)
	if st := mustCollect(t, c.gcs[0], later); st.Collected != 0 || st.Postponed != 1 {
		t.Fatalf("with a holder cut off: %+v", st)
	}
	if got := c.present(t, "p", "k"); got[0] != true || got[1] != true || got[2] != true {
		t.Fatalf("tombstone deleted while a holder was unreachable: %v", got)
	}

	c.net.setCut(c.ids[2], false)
	if st := mustCollect(t, c.gcs[0], later); st.Collected != 1 {
		t.Fatalf("after healing: %+v", st)
	}
	if got := c.present(t, "p", "k"); got[0] || got[1] || got[2] {
		t.Fatalf("tombstone left after collection: %v", got)
	}
	if got := c.stored(t, 1, "p", "live"); got != "stays" {
		t.Fatalf("live entry = %q", got)
	}
	// The other nodes' items are stale now: dropped, nothing left to do.
	for i := 1; i < 3; i++ {
		if st := mustCollect(t, c.gcs[i], later); st.Collected != 0 || st.Pending != 0 {
			t.Fatalf("node %d after collection elsewhere: %+v", i, st)
		}
	}
	if st := mustCollect(t, c.gcs[0], later); st.Pending != 0 {
		t.Fatalf("node 0 left items: %+v", st)
	}
}

func TestGCKeepsAnEntryChangedMeanwhile(t *testing.T) {
	c := newGCCluster(t)
	c.putAll(t, counter{PK: "p", SK: "k", V: crdt.NewLWW(2, "")})
	// Node 1 gets a newer write the others have not seen yet.
	c.put(t, 1, counter{PK: "p", SK: "k", V: crdt.NewLWW(3, "new")})
	st := mustCollect(t, c.gcs[0], time.Now().Add(2*testGCDelay))
	if st.Collected != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := c.present(t, "p", "k"); got[0] || !got[1] || got[2] {
		t.Fatalf("present = %v, want only node 1", got)
	}
	if got := c.stored(t, 1, "p", "k"); got != "new" {
		t.Fatalf("node 1 holds %q", got)
	}
	// A read that reaches node 1 finds the newer write (it was on one
	// node only, so a read of the two others may miss it, as before GC).
	c.setDown(2, true)
	e, ok, err := c.tables[0].Get(context.Background(), []byte("p"), []byte("k"))
	if err != nil || !ok || e.V.Value != "new" {
		t.Fatalf("read after GC: %+v %v %v", e, ok, err)
	}
}

func TestGCNeverLosesAConcurrentWrite(t *testing.T) {
	c := newGCCluster(t)
	const n = 30
	for i := range n {
		c.putAll(t, counter{PK: "p", SK: fmt.Sprint("k", i), V: crdt.NewLWW(2, "")})
	}
	later := time.Now().Add(2 * testGCDelay)
	var wg sync.WaitGroup
	wg.Add(2)
	errs := make(chan error, 3)
	go func() {
		defer wg.Done()
		for _, g := range c.gcs {
			if _, err := g.CollectNow(context.Background(), later); err != nil {
				errs <- err
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			if err := c.tables[i%3].Insert(context.Background(), counter{PK: "p", SK: fmt.Sprint("k", i), V: crdt.NewLWW(3, "w")}); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, tb := range c.tables {
		tb.WaitRepairs()
	}
	for i := range n {
		sk := fmt.Sprint("k", i)
		holding := 0
		for j := range c.locals {
			if c.stored(t, j, "p", sk) == "w" {
				holding++
			}
		}
		if holding < 2 {
			t.Fatalf("%s: the acknowledged write is on %d nodes", sk, holding)
		}
		e, ok, err := c.tables[(i+1)%3].Get(context.Background(), []byte("p"), []byte(sk))
		if err != nil || !ok || e.V.Value != "w" {
			t.Fatalf("%s read: %+v %v %v", sk, e, ok, err)
		}
	}
}

func TestGCBackfillsExistingTombstones(t *testing.T) {
	c := newGCCluster(t)
	c.putAll(t, counter{PK: "p", SK: "old", V: crdt.NewLWW(2, "")})
	// As if stored by a version that kept no to-do list.
	for _, l := range c.locals {
		if err := l.db.Update(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(gcTodoBucket); err != nil {
				return err
			}
			_, err := tx.CreateBucket(gcTodoBucket)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(2 * testGCDelay)
	if st := mustCollect(t, c.gcs[0], later); st.Collected != 0 {
		t.Fatalf("collected without a to-do item: %+v", st)
	}
	n, err := c.gcs[0].Backfill(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("backfill: %d, %v", n, err)
	}
	if n, err := c.gcs[0].Backfill(context.Background()); err != nil || n != 0 {
		t.Fatalf("second backfill: %d, %v", n, err)
	}
	if st := mustCollect(t, c.gcs[0], later); st.Collected != 1 {
		t.Fatalf("after backfill: %+v", st)
	}
	if got := c.present(t, "p", "old"); got[0] || got[1] || got[2] {
		t.Fatalf("present = %v", got)
	}
}

// marked is a test entry with markers: timestamps of old writes, kept to
// shadow them; Compact drops those older than before, but the newest.
type marked struct {
	K     string
	Marks map[string]uint64
}

func (m marked) PartitionKey() []byte { return []byte("m") }
func (m marked) SortKey() []byte      { return []byte(m.K) }
func (m marked) IsTombstone() bool    { return false }
func (m marked) Merge(o marked) marked {
	out := marked{K: m.K, Marks: maps.Clone(m.Marks)}
	if out.Marks == nil {
		out.Marks = map[string]uint64{}
	}
	for k, v := range o.Marks {
		out.Marks[k] = max(out.Marks[k], v)
	}
	return out
}

func compactMarked(m marked, before time.Time) (marked, bool) {
	var newest uint64
	for _, ts := range m.Marks {
		newest = max(newest, ts)
	}
	cut := uint64(before.UnixMilli())
	out := marked{K: m.K, Marks: map[string]uint64{}}
	for k, ts := range m.Marks {
		if ts >= cut || ts == newest {
			out.Marks[k] = ts
		}
	}
	return out, len(out.Marks) < len(m.Marks)
}

func TestGCCompactsOnEveryHolder(t *testing.T) {
	c := newGCCluster(t)
	schema := Schema[marked]{
		Name:   "marks",
		Encode: func(m marked) ([]byte, error) { return json.Marshal(m) },
		Decode: func(b []byte) (marked, error) {
			var m marked
			err := json.Unmarshal(b, &m)
			return m, err
		},
		Compact: compactMarked,
	}
	for _, l := range c.locals {
		if _, err := New(schema, l, Single{Local: l}, Options[marked]{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	old := uint64(now.Add(-time.Minute).UnixMilli())
	recent := uint64(now.Add(3 * testGCDelay).UnixMilli())
	put := func(i int, m marked) {
		v, _ := schema.Encode(m)
		if _, err := c.locals[i].Update(context.Background(), "marks", [][]byte{v}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(i int, k string) marked {
		raw, err := c.locals[i].Get(context.Background(), "marks", []byte("m"), []byte(k))
		if err != nil || raw == nil {
			t.Fatalf("node %d %s: %v %v", i, k, raw, err)
		}
		m, _ := schema.Decode(raw)
		return m
	}
	for i := range c.locals {
		put(i, marked{K: "a", Marks: map[string]uint64{"x": old, "y": old + 1, "z": recent}})
		put(i, marked{K: "b", Marks: map[string]uint64{"x": old, "y": old + 1}})
	}
	put(2, marked{K: "b", Marks: map[string]uint64{"w": old + 2}}) // changed on node 2 only

	st := mustCollect(t, c.gcs[0], now.Add(2*testGCDelay))
	if st.Compacted != 2 || st.Collected != 0 {
		t.Fatalf("stats %+v", st)
	}
	for i := range c.locals {
		if m := get(i, "a"); len(m.Marks) != 1 || m.Marks["z"] != recent {
			t.Fatalf("node %d a = %v, want only the recent mark", i, m.Marks)
		}
	}
	for i := 0; i < 2; i++ {
		if m := get(i, "b"); len(m.Marks) != 1 || m.Marks["y"] != old+1 {
			t.Fatalf("node %d b = %v, want the newest mark", i, m.Marks)
		}
	}
	if m := get(2, "b"); len(m.Marks) != 3 {
		t.Fatalf("node 2 b = %v: its own change must stay", m.Marks)
	}
}

func TestGCSplitsLargePartitions(t *testing.T) {
	c := newGCCluster(t)
	const n = 2*gcGroupItems + 10 // several RPCs for one partition
	var vs [][]byte
	for i := range n {
		v, _ := encodeCounter(counter{PK: "p", SK: fmt.Sprint("k", i), V: crdt.NewLWW(2, "")})
		vs = append(vs, v)
	}
	for _, l := range c.locals {
		if _, err := l.Update(context.Background(), "counters", vs); err != nil {
			t.Fatal(err)
		}
	}
	if st := mustCollect(t, c.gcs[1], time.Now().Add(2*testGCDelay)); st.Collected != n || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
	for i := range n {
		if got := c.present(t, "p", fmt.Sprint("k", i)); got[0] || got[1] || got[2] {
			t.Fatalf("k%d left: %v", i, got)
		}
	}
}

func TestGCMetrics(t *testing.T) {
	c := newGCCluster(t)
	reg := prometheus.NewRegistry()
	g, err := NewGC(GCConfig{Self: c.ids[0], Local: c.locals[0], Caller: c.net.caller(c.ids[0]), Alive: c.alive,
		Holders: c.replicas, Delay: testGCDelay, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	c.putAll(t, counter{PK: "p", SK: "k", V: crdt.NewLWW(2, "")})
	later := time.Now().Add(2 * testGCDelay)
	c.setDown(1, true)
	mustCollect(t, g, later)
	c.setDown(1, false)
	mustCollect(t, g, later)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[f.GetName()] += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[f.GetName()] += m.GetGauge().GetValue()
			}
		}
	}
	want := map[string]float64{"garageweb_table_gc_todo": 0, "garageweb_table_gc_collected_total": 1, "garageweb_table_gc_postponed_total": 1}
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", name, g, ok, v)
		}
	}
}
