package table

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/table/crdt"
)

// syncNode is one replica of a syncCluster.
type syncNode struct {
	id     cluster.NodeID
	local  *Local
	syncer *Syncer
	reg    *prometheus.Registry
	hooks  atomic.Int64 // Updated calls
}

// syncCluster is n Locals that hold every partition, served over a
// fakeNet, each with a Syncer.
type syncCluster struct {
	net   *fakeNet
	ids   []cluster.NodeID
	nodes []*syncNode
	down  map[cluster.NodeID]bool
}

func newSyncCluster(t testing.TB, n int, schema func(*syncNode) Schema[counter]) *syncCluster {
	t.Helper()
	c := &syncCluster{net: newFakeNet(), down: map[cluster.NodeID]bool{}}
	for i := range n {
		c.ids = append(c.ids, testID(i))
	}
	for _, id := range c.ids {
		l, _ := mustLocal(t, "")
		sn := &syncNode{id: id, local: l, reg: prometheus.NewRegistry()}
		s := counterSchema
		if schema != nil {
			s = schema(sn)
		}
		s.Updated = func(*Tx, *counter, counter) error { sn.hooks.Add(1); return nil }
		mustTable(t, l, s)
		RegisterRPC(c.net.registrar(id), l)
		sy, err := NewSyncer(SyncConfig{
			Self: id, Local: l, Caller: c.net.caller(id),
			Alive:    func(id cluster.NodeID) bool { return !c.down[id] },
			Holders:  func(uint8) []cluster.NodeID { return c.ids },
			Interval: time.Hour, Registerer: sn.reg,
		})
		if err != nil {
			t.Fatal(err)
		}
		sn.syncer = sy
		c.nodes = append(c.nodes, sn)
	}
	return c
}

// write merges entries into node i only.
func (c *syncCluster) write(t testing.TB, i int, es ...counter) {
	t.Helper()
	var vs [][]byte
	for _, e := range es {
		v, err := encodeCounter(e)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	for len(vs) > 0 {
		n := min(len(vs), 500)
		if _, err := c.nodes[i].local.Update(context.Background(), "counters", vs[:n]); err != nil {
			t.Fatal(err)
		}
		vs = vs[n:]
	}
}

// contents returns what node i stores.
func (c *syncCluster) contents(t testing.TB, i int) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := c.nodes[i].local.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("counters")).ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// differences counts the keys that nodes i and j do not hold alike.
func (c *syncCluster) differences(t testing.TB, i, j int) int {
	a, b := c.contents(t, i), c.contents(t, j)
	n := 0
	for k, v := range a {
		if b[k] != v {
			n++
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			n++
		}
	}
	return n
}

func (c *syncCluster) assertConverged(t testing.TB) {
	t.Helper()
	want, err := c.nodes[0].local.MerkleRoots("counters")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(c.nodes); i++ {
		got, err := c.nodes[i].local.MerkleRoots("counters")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("node %d: roots differ from node 0's", i)
		}
		if d := c.differences(t, 0, i); d != 0 {
			t.Fatalf("node %d: %d entries differ from node 0's", i, d)
		}
	}
}

// syncAll makes node i sync every partition with every other node.
func (c *syncCluster) syncAll(t testing.TB, i int) SyncResult {
	t.Helper()
	var total SyncResult
	for p := range 256 {
		r, err := c.nodes[i].syncer.SyncPartition(context.Background(), uint8(p), c.ids)
		if err != nil {
			t.Fatal(err)
		}
		total.add(r)
	}
	return total
}

func entry(pk, sk string, ts uint64, v string) counter {
	return counter{PK: pk, SK: sk, V: crdt.NewLWW(ts, v)}
}

func TestSyncTwoReplicas(t *testing.T) {
	c := newSyncCluster(t, 2, nil)
	var common, missed []counter
	for i := range 300 {
		common = append(common, entry(fmt.Sprint("c", i%40), fmt.Sprint(i), 1, "x"))
	}
	for i := range 2000 {
		missed = append(missed, entry(fmt.Sprint("m", i%300), fmt.Sprint(i), 1, "y"))
	}
	c.write(t, 0, common...)
	c.write(t, 1, common...)
	c.write(t, 0, missed...)
	if d := c.differences(t, 0, 1); d != 2000 {
		t.Fatalf("%d differences before sync, want 2000", d)
	}
	calls := c.net.calls.Load()
	hooks := c.nodes[1].hooks.Load()
	// Node 1 pulls what it missed.
	r := c.syncAll(t, 1)
	c.assertConverged(t)
	if r.Received != 2000 || r.Sent != 0 {
		t.Fatalf("exchanged %d received, %d sent; want 2000 and 0", r.Received, r.Sent)
	}
	if n := c.nodes[1].hooks.Load() - hooks; n != 2000 {
		t.Fatalf("hooks ran %d times for 2000 pulled entries", n)
	}
	t.Logf("%d RPCs for 2000 differences over 256 partitions", c.net.calls.Load()-calls)

	// Each missed some, some conflict, one partition lost on node 0.
	var a, b []counter
	for i := range 300 {
		a = append(a, entry(fmt.Sprint("a", i%50), fmt.Sprint(i), 1, "a"))
	}
	for i := range 200 {
		b = append(b, entry(fmt.Sprint("b", i%50), fmt.Sprint(i), 1, "b"))
	}
	for i := range 50 { // same keys, concurrent values: the merge wins on both
		a = append(a, entry("c1", fmt.Sprint(i), 5, "from a"))
		b = append(b, entry("c1", fmt.Sprint(i), 5, "from b"))
	}
	c.write(t, 0, a...)
	c.write(t, 1, b...)
	lost := HashPartitionKey([]byte("m7")).Partition()
	for k := range c.contents(t, 0) {
		if k[0] == lost {
			err := c.nodes[0].local.db.Update(func(tx *bolt.Tx) error {
				bk := tx.Bucket([]byte("counters"))
				return c.nodes[0].local.put(tx, "counters", bk, []byte(k), bk.Get([]byte(k)), nil)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	diffs := c.differences(t, 0, 1)
	r = c.syncAll(t, 0)
	c.assertConverged(t)
	if got := r.Sent + r.Received; got > 2*diffs || got < diffs {
		t.Fatalf("%d entries exchanged for %d differences", got, diffs)
	}
	if r.Unconverged != 0 {
		t.Fatalf("%d comparisons unconverged", r.Unconverged)
	}
	// A second pass finds nothing to do.
	if r := c.syncAll(t, 0); r.Differed != 0 || r.Sent+r.Received != 0 {
		t.Fatalf("second pass: %+v", r)
	}
}

func TestSyncThreeReplicas(t *testing.T) {
	c := newSyncCluster(t, 3, nil)
	var base []counter
	for i := range 500 {
		base = append(base, entry(fmt.Sprint("k", i%100), fmt.Sprint(i), 1, "base"))
	}
	for i := range 3 {
		c.write(t, i, base...)
	}
	// Node 2 was down for 2,000 writes; nodes 0 and 1 each missed some.
	var missed []counter
	for i := range 2000 {
		missed = append(missed, entry(fmt.Sprint("w", i%400), fmt.Sprint(i), 2, "new"))
	}
	c.write(t, 0, missed...)
	c.write(t, 1, missed...)
	var only [3][]counter
	for i := range 100 {
		only[0] = append(only[0], entry("only0", fmt.Sprint(i), 1, "0"))
		only[1] = append(only[1], entry("only1", fmt.Sprint(i), 1, "1"), entry(fmt.Sprint("k", i), fmt.Sprint(i), 3, "updated on 1"))
		only[2] = append(only[2], entry("only2", fmt.Sprint(i), 1, "2"))
	}
	for i := range 3 {
		c.write(t, i, only[i]...)
	}
	diffs := c.differences(t, 0, 1) + c.differences(t, 0, 2)
	hooks := c.nodes[0].hooks.Load()
	// Node 0 syncs with both: one call leaves all three equal.
	r := c.syncAll(t, 0)
	c.assertConverged(t)
	if got := r.Sent + r.Received; got > 2*diffs {
		t.Fatalf("%d entries exchanged for %d differences", got, diffs)
	}
	// Hooks ran for every pulled entry that changed node 0: all but the
	// 100 older values node 2 sent back for the keys updated on node 1.
	if n := c.nodes[0].hooks.Load() - hooks; n != int64(r.Received)-100 {
		t.Fatalf("%d hook calls for %d entries received", n, r.Received)
	}
	st := c.nodes[0].syncer.Status()
	if len(st.Tables) != 1 || st.Tables[0].InSync != 256 || st.Tables[0].OutOfSync != 0 || st.Tables[0].Received != uint64(r.Received) {
		t.Fatalf("status %+v", st)
	}
	if got := metricValue(t, c.nodes[0].syncer.m.received.WithLabelValues("counters")); got != float64(r.Received) {
		t.Fatalf("received metric %v, want %d", got, r.Received)
	}
	// A holder down is left out of a pass, and counted.
	c.down[c.ids[2]] = true
	if err := c.nodes[0].syncer.FullSync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if st := c.nodes[0].syncer.Status(); st.LastPassSkipped != 256 || st.LastPassErrors != 0 || st.LastFullSync.IsZero() {
		t.Fatalf("status after a pass with a node down: %+v", st)
	}
}

func TestSyncUnreachablePeer(t *testing.T) {
	ctx := context.Background()
	c := newSyncCluster(t, 3, nil)
	c.write(t, 0, entry("p", "1", 1, "on 0"))
	c.write(t, 2, entry("p", "2", 1, "on 2"))
	p := HashPartitionKey([]byte("p")).Partition()
	before0, before2 := c.contents(t, 0), c.contents(t, 2)
	c.net.setCut(c.ids[2], true)
	if _, err := c.nodes[0].syncer.SyncPartition(ctx, p, []cluster.NodeID{c.ids[2]}); err == nil {
		t.Fatal("sync with an unreachable peer succeeded")
	}
	c.net.setCut(c.ids[2], false)
	if len(c.contents(t, 0)) != len(before0) || len(c.contents(t, 2)) != len(before2) {
		t.Fatal("a failed sync changed entries")
	}
	// With one peer reachable and one not: an error, and the exchange with
	// the reachable one stands.
	c.net.setCut(c.ids[2], true)
	if _, err := c.nodes[0].syncer.SyncPartition(ctx, p, c.ids); err == nil {
		t.Fatal("sync with an unreachable peer succeeded")
	}
	if st := c.nodes[0].syncer.Status(); st.Tables[0].OutOfSync != 1 {
		t.Fatalf("status after a failed sync: %+v", st.Tables)
	}
	if got := metricValue(t, c.nodes[0].syncer.m.errors); got != 2 {
		t.Fatalf("errors metric %v, want 2", got)
	}
	if d := c.differences(t, 0, 1); d != 0 {
		t.Fatalf("%d differences with the reachable peer", d)
	}
}

func TestSyncOffload(t *testing.T) {
	ctx := context.Background()
	c := newSyncCluster(t, 3, nil)
	var es []counter
	for i := range 2500 { // more than one delete batch
		es = append(es, entry("big", fmt.Sprint(i), 1, "v"))
	}
	es = append(es, entry("other", "1", 1, "v"))
	c.write(t, 0, es...)
	c.write(t, 1, es[:100]...)
	p := HashPartitionKey([]byte("big")).Partition()
	if HashPartitionKey([]byte("other")).Partition() == p {
		t.Fatal("test keys in one partition")
	}
	// A target down: nothing deleted.
	c.net.setCut(c.ids[2], true)
	if err := c.nodes[0].syncer.Offload(ctx, p, c.ids[1:]); err == nil {
		t.Fatal("offload to an unreachable node succeeded")
	}
	c.down[c.ids[2]] = true
	if err := c.nodes[0].syncer.Offload(ctx, p, c.ids[1:]); !errors.Is(err, ErrNodeDown) {
		t.Fatalf("offload to a node known down: %v", err)
	}
	if _, n, _ := c.nodes[0].local.MerkleRoot("counters", p); n != 2500 {
		t.Fatalf("%d entries left after a failed offload, want 2500", n)
	}
	c.net.setCut(c.ids[2], false)
	c.down[c.ids[2]] = false
	if err := c.nodes[0].syncer.Offload(ctx, p, c.ids[1:]); err != nil {
		t.Fatal(err)
	}
	if h, n, _ := c.nodes[0].local.MerkleRoot("counters", p); n != 0 || h != (MerkleHash{}) {
		t.Fatalf("%d entries left after offload", n)
	}
	for k := range c.contents(t, 0) {
		if k[0] == p {
			t.Fatal("an entry of the offloaded partition is left")
		}
	}
	if len(c.contents(t, 0)) != 1 {
		t.Fatal("offload deleted another partition")
	}
	for i := 1; i < 3; i++ {
		if _, n, _ := c.nodes[i].local.MerkleRoot("counters", p); n != 2500 {
			t.Fatalf("node %d holds %d entries of the partition, want 2500", i, n)
		}
	}
}

func TestSyncMergeThatDoesNotSettle(t *testing.T) {
	// Each node encodes entries with a mark of its own: a merge never
	// changes what a node stores, so two replicas of one entry keep
	// different bytes whatever they exchange.
	marked := func(n *syncNode) Schema[counter] {
		s := counterSchema
		mark := n.id[0]
		s.Encode = func(c counter) ([]byte, error) {
			b, err := encodeCounter(c)
			return append(b, ' ', '0'+mark), err
		}
		s.Decode = func(b []byte) (counter, error) {
			if len(b) < 2 {
				return counter{}, errors.New("short")
			}
			return decodeCounter(b[:len(b)-2])
		}
		return s
	}
	c := newSyncCluster(t, 2, marked)
	for i, n := range c.nodes {
		v, _ := marked(n).Encode(entry("p", "k", 1, "v"))
		if _, err := c.nodes[i].local.Update(context.Background(), "counters", [][]byte{v}); err != nil {
			t.Fatal(err)
		}
	}
	p := HashPartitionKey([]byte("p")).Partition()
	r, err := c.nodes[0].syncer.SyncPartition(context.Background(), p, c.ids)
	if err != nil {
		t.Fatal(err)
	}
	if r.Unconverged != 1 || r.Received != 1 || r.Sent != 1 {
		t.Fatalf("%+v, want one entry each way and one unconverged comparison", r)
	}
	if st := c.nodes[0].syncer.Status(); st.Tables[0].OutOfSync != 1 || st.Tables[0].Unconverged != 1 {
		t.Fatalf("status %+v", st.Tables)
	}
}

func TestSyncRunAndTrigger(t *testing.T) {
	c := newSyncCluster(t, 2, nil)
	c.write(t, 0, entry("a", "1", 1, "x"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.nodes[1].syncer.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "first pass", func() bool { return !c.nodes[1].syncer.Status().LastFullSync.IsZero() })
	c.assertConverged(t)
	if got := metricValue(t, c.nodes[1].syncer.m.lastFull); got == 0 {
		t.Fatal("last full sync metric not set")
	}
	c.write(t, 0, entry("b", "1", 1, "y"))
	c.nodes[1].syncer.Trigger()
	waitFor(t, "triggered pass", func() bool { return c.differences(t, 0, 1) == 0 })
	// FullSync reports its progress.
	last := 0
	if err := c.nodes[1].syncer.FullSync(context.Background(), func(done, total int) { last = done }); err != nil || last != 256 {
		t.Fatalf("full sync: %v, progress %d of 256", err, last)
	}
}

// waitFor polls cond until it holds or 20 seconds pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metricValue returns the value of a counter or gauge.
func metricValue(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

func TestSyncSmallPages(t *testing.T) {
	c := newSyncCluster(t, 2, nil)
	for _, n := range c.nodes {
		n.syncer.page = 3
	}
	var a, b []counter
	for i := range 1200 {
		e := entry(fmt.Sprint("k", i%300), fmt.Sprint(i), 1, "v")
		switch i % 5 {
		case 0:
			a = append(a, e)
		case 1:
			b = append(b, e)
		case 2:
			a = append(a, e)
			e.V = crdt.NewLWW(2, "newer")
			b = append(b, e)
		default:
			a, b = append(a, e), append(b, e)
		}
	}
	c.write(t, 0, a...)
	c.write(t, 1, b...)
	diffs := c.differences(t, 0, 1)
	r := c.syncAll(t, 0)
	c.assertConverged(t)
	if got := r.Sent + r.Received; got > 2*diffs || got < diffs {
		t.Fatalf("%d entries exchanged for %d differences", got, diffs)
	}
}

func TestSyncCostFollowsDifferences(t *testing.T) {
	ctx := context.Background()
	c := newSyncCluster(t, 2, nil)
	var es []counter
	for i := range 20000 { // one partition, deep enough to walk down
		es = append(es, entry("big", fmt.Sprint(i), 1, "v"))
	}
	c.write(t, 0, es...)
	c.write(t, 1, es...)
	p := HashPartitionKey([]byte("big")).Partition()
	// Sparse: 5 differences cost a walk down to 5 leaves, not a scan.
	for i := range 5 {
		c.write(t, 0, entry("big", fmt.Sprint(i*997), 2, "changed"))
	}
	calls := c.net.calls.Load()
	r, err := c.nodes[1].syncer.SyncPartition(ctx, p, c.ids)
	if err != nil {
		t.Fatal(err)
	}
	c.assertConverged(t)
	n := c.net.calls.Load() - calls
	t.Logf("5 differences among 20000 entries: %d RPCs", n)
	if r.Received != 5 || r.Sent != 0 || n > 16 {
		t.Fatalf("%+v in %d RPCs, want 5 entries received in at most 16", r, n)
	}
	// Dense: a replica that lost the partition gets it back page by page.
	deleteFirst(t, c.nodes[1].local, "counters", p, 10000)
	calls = c.net.calls.Load()
	if r, err = c.nodes[1].syncer.SyncPartition(ctx, p, c.ids); err != nil {
		t.Fatal(err)
	}
	c.assertConverged(t)
	n = c.net.calls.Load() - calls
	t.Logf("10000 differences among 20000 entries: %d RPCs", n)
	if r.Received != 10000 || n > 10000/syncMaxItems*2+10000/syncMaxKeys+10 {
		t.Fatalf("%+v in %d RPCs", r, n)
	}
}

// deleteFirst deletes the first n entries of partition p of table.
func deleteFirst(t testing.TB, l *Local, table string, p uint8, n int) {
	t.Helper()
	for n > 0 {
		err := l.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(table))
			var keys [][]byte
			c := b.Cursor()
			for k, _ := c.Seek([]byte{p}); k != nil && k[0] == p && len(keys) < min(n, 1000); k, _ = c.Next() {
				keys = append(keys, append([]byte(nil), k...))
			}
			if len(keys) == 0 {
				return errors.New("partition exhausted")
			}
			for _, k := range keys {
				if err := l.put(tx, table, b, k, b.Get(k), nil); err != nil {
					return err
				}
			}
			n -= len(keys)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestSyncTableMissingOnPeer(t *testing.T) {
	c := newSyncCluster(t, 2, nil)
	extra := counterSchema
	extra.Name = "extra" // only on node 0, as after an upgrade of node 0 alone
	mustTable(t, c.nodes[0].local, extra)
	c.write(t, 0, entry("p", "k", 1, "v"))
	p := HashPartitionKey([]byte("p")).Partition()
	r, err := c.nodes[0].syncer.SyncPartition(context.Background(), p, c.ids)
	if !errors.Is(err, ErrUnknownTable) {
		t.Fatalf("sync with a peer lacking a table: %v, want ErrUnknownTable", err)
	}
	if r.Sent != 1 || c.differences(t, 0, 1) != 0 {
		t.Fatalf("%+v: the tables both have were not synced", r)
	}
}

func TestSyncDuringWrites(t *testing.T) {
	c := newSyncCluster(t, 2, nil)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		// Writes to both nodes while node 1 syncs.
		for i := range 200 {
			for n := range 2 {
				v, _ := encodeCounter(entry(fmt.Sprint("w", i%13), fmt.Sprint(i), uint64(n+1), fmt.Sprint("n", n)))
				if _, err := c.nodes[n].local.Update(ctx, "counters", [][]byte{v}); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	for range 2 {
		if err := c.nodes[1].syncer.FullSync(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[1].syncer.FullSync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c.assertConverged(t)
}

func TestOffloadStopsWhenThePartitionChanges(t *testing.T) {
	c := newSyncCluster(t, 2, nil)
	c.write(t, 0, entry("p", "1", 1, "v"), entry("p", "2", 1, "v"))
	p := HashPartitionKey([]byte("p")).Partition()
	s := c.nodes[0].syncer
	handed, _, err := c.nodes[0].local.merkleRoots([]string{"counters"}, p)
	if err != nil {
		t.Fatal(err)
	}
	// A write after the hand-over: nothing is deleted.
	c.write(t, 0, entry("p", "3", 1, "late"))
	n, changed, err := s.deletePartition(context.Background(), p, []string{"counters"}, handed)
	if err != nil || !changed || n != 0 {
		t.Fatalf("delete after a late write: %d deleted, changed %v, %v", n, changed, err)
	}
	// Offload hands the late write over too, then deletes everything.
	if err := s.Offload(context.Background(), p, c.ids); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := c.nodes[1].local.MerkleRoot("counters", p); n != 3 {
		t.Fatalf("node 1 holds %d entries, want 3", n)
	}
	if _, n, _ := c.nodes[0].local.MerkleRoot("counters", p); n != 0 {
		t.Fatalf("node 0 kept %d entries", n)
	}
}
