package blockrepl

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// fakeClock is a clock that moves only when told to (or when a sleep
// "passes"); it records how long the code under test slept.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept += d
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// repairNode is one node of a testCluster with a reference counter and a
// resyncer.
type repairNode struct {
	id    cluster.NodeID
	refs  *storage.RefCounts
	r     *Resyncer
	clock *fakeClock
	holds bool
}

// mustRepairNodes gives every node of c a reference counter, serves
// block.refs and builds its resyncer. Every node holds every partition
// unless holds says otherwise.
func mustRepairNodes(t *testing.T, c *testCluster, mod func(id cluster.NodeID, cfg *ResyncConfig)) map[cluster.NodeID]*repairNode {
	t.Helper()
	out := map[cluster.NodeID]*repairNode{}
	for _, id := range c.ids {
		db, err := storage.OpenDB(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		refs, err := storage.NewRefCounts(db, c.stores[id])
		if err != nil {
			t.Fatal(err)
		}
		RegisterRefs(c.net.registrar(id), refs, c.stores[id], time.Nanosecond)
		clock := &fakeClock{now: time.Now()}
		n := &repairNode{id: id, refs: refs, clock: clock, holds: true}
		cfg := ResyncConfig{
			Store:   c.store(t, id, nil),
			Refs:    refs,
			Holders: func(uint8) []cluster.NodeID { return c.ids },
			Holds:   func(uint8) bool { return n.holds },
			GCDelay: time.Minute,
			Now:     clock.Now,
			Sleep:   clock.Sleep,
		}
		if mod != nil {
			mod(id, &cfg)
		}
		n.r = NewResyncer(cfg)
		out[id] = n
	}
	return out
}

// setCount sets the count of h on n, as the blockrefs hook would.
func setCount(n *repairNode, h storage.Hash, count uint64) error {
	info, err := n.refs.Info(h)
	if err != nil {
		return err
	}
	_, err = n.refs.SetCountIf(h, info.Count, count, n.clock.Now())
	return err
}

func mustWrite(t *testing.T, bs *storage.BlockStore, data []byte) storage.Hash {
	t.Helper()
	h, err := bs.Write(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func queueLen(t *testing.T, n *repairNode) int {
	t.Helper()
	l, err := n.refs.ResyncLen()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestResyncFetchesMissingBlock(t *testing.T) {
	c := mustCluster(t, 3)
	nodes := mustRepairNodes(t, c, nil)
	data := bytes.Repeat([]byte("resync "), 1000)
	h := mustWrite(t, c.stores[c.ids[0]], data)
	mustWrite(t, c.stores[c.ids[1]], data)
	n3 := nodes[c.ids[2]]
	// The reference arrives (anti-entropy): the block is queued in the
	// same transaction.
	if err := setCount(n3, h, 1); err != nil {
		t.Fatal(err)
	}
	if got := queueLen(t, n3); got != 1 {
		t.Fatalf("queue length %d after the first reference, want 1", got)
	}
	if _, err := n3.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := c.stores[n3.id].Read(context.Background(), h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("block after resync: %v (%d bytes)", err, len(got))
	}
	if q := queueLen(t, n3); q != 0 {
		t.Fatalf("queue length %d after resync, want 0", q)
	}
	st, _ := n3.r.Stats()
	if st.Fetched != 1 || st.ResyncBytes != int64(len(data)) {
		t.Fatalf("stats %+v: want 1 fetched, %d bytes", st, len(data))
	}
}

func TestResyncRetriesUntilAHolderAnswers(t *testing.T) {
	c := mustCluster(t, 2)
	nodes := mustRepairNodes(t, c, nil)
	data := []byte("only on node 1")
	h := mustWrite(t, c.stores[c.ids[0]], data)
	n2 := nodes[c.ids[1]]
	c.net.setDown(c.ids[0], true)
	if err := setCount(n2, h, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := n2.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.stores[n2.id].Has(h) || queueLen(t, n2) != 1 {
		t.Fatal("block fetched from a node that is down, or dropped from the queue")
	}
	// Not due again before its back-off.
	if n, _ := n2.r.ProcessDue(context.Background()); n != 0 {
		t.Fatalf("%d blocks handled before their back-off ended", n)
	}
	c.net.setDown(c.ids[0], false)
	n2.clock.advance(resyncMinBackoff * 3)
	if _, err := n2.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.stores[n2.id].Has(h) || queueLen(t, n2) != 0 {
		t.Fatal("block not fetched once its holder came back")
	}
}

func TestScrubRepairsCorruptBlockAndReadsStayGood(t *testing.T) {
	c := mustCluster(t, 3)
	nodes := mustRepairNodes(t, c, nil)
	data := bytes.Repeat([]byte{1, 2, 3, 4, 5}, 4000)
	var h storage.Hash
	for _, id := range c.ids {
		h = mustWrite(t, c.stores[id], data)
	}
	mustWrite(t, c.stores[c.ids[0]], []byte("a second, healthy block"))
	n1 := nodes[c.ids[0]]
	corruptBlock(t, c.stores[n1.id], h)

	// A read meanwhile never returns the corrupt bytes.
	st := c.store(t, n1.id, nil)
	got, release, err := st.ReadPooled(context.Background(), h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read with a corrupt local copy: %v", err)
	}
	release()

	var progressCalls int
	res, err := n1.r.Scrub(context.Background(), func(ScrubResult) { progressCalls++ })
	if err != nil {
		t.Fatal(err)
	}
	if res != (ScrubResult{Checked: 2, Corrupted: 1, Repaired: 1}) || progressCalls != 2 {
		t.Fatalf("scrub result %+v, %d progress calls", res, progressCalls)
	}
	if _, err := c.stores[n1.id].Verify(h); err != nil {
		t.Fatalf("block after scrub: %v", err)
	}
	last, err := n1.refs.LastScrub()
	if err != nil || !last.Equal(time.UnixMilli(n1.clock.Now().UnixMilli())) {
		t.Fatalf("last scrub %v (%v), want %v", last, err, n1.clock.Now())
	}
	if due, _ := n1.r.ScrubDue(n1.clock.Now().Add(time.Hour), 2*time.Hour); due {
		t.Fatal("scrub due again an hour after the last one, interval 2h")
	}
	if due, _ := n1.r.ScrubDue(n1.clock.Now().Add(3*time.Hour), 2*time.Hour); !due {
		t.Fatal("scrub not due 3h after the last one, interval 2h")
	}
}

func TestScrubQueuesBlockNoHolderCanSupply(t *testing.T) {
	c := mustCluster(t, 2)
	nodes := mustRepairNodes(t, c, nil)
	n1 := nodes[c.ids[0]]
	h := mustWrite(t, c.stores[n1.id], []byte("single copy"))
	corruptBlock(t, c.stores[n1.id], h)
	res, err := n1.r.Scrub(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Corrupted != 1 || res.Unrepaired != 1 || queueLen(t, n1) != 1 {
		t.Fatalf("result %+v, queue %d", res, queueLen(t, n1))
	}
	if _, err := c.stores[n1.id].Read(context.Background(), h); err == nil {
		t.Fatal("a corrupt block read back without error")
	}
}

func TestOffloadDeletesOnlyAfterEveryHolderConfirmed(t *testing.T) {
	c := mustCluster(t, 3)
	others := c.ids[1:]
	nodes := mustRepairNodes(t, c, func(id cluster.NodeID, cfg *ResyncConfig) {
		if id == c.ids[0] {
			cfg.Holders = func(uint8) []cluster.NodeID { return others }
		}
	})
	n1 := nodes[c.ids[0]]
	n1.holds = false
	data := []byte("moving to the new holders")
	h := mustWrite(t, c.stores[n1.id], data)
	if err := setCount(n1, h, 1); err != nil {
		t.Fatal(err)
	}
	c.net.setDown(c.ids[2], true)
	if _, err := n1.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.stores[n1.id].Has(h) {
		t.Fatal("local copy deleted while a holder could not confirm")
	}
	if queueLen(t, n1) != 1 {
		t.Fatal("block left the queue before it was handed over")
	}
	c.net.setDown(c.ids[2], false)
	n1.clock.advance(time.Hour)
	if _, err := n1.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.stores[n1.id].Has(h) {
		t.Fatal("local copy kept after every holder confirmed")
	}
	for _, id := range others {
		if got, err := c.stores[id].Read(context.Background(), h); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("holder %s: %v", id.Short(), err)
		}
	}
	if st, _ := n1.r.Stats(); st.Offloaded != 1 {
		t.Fatalf("stats %+v, want 1 offloaded", st)
	}
}

func TestGCKeepsBlockAnotherHolderReferences(t *testing.T) {
	c := mustCluster(t, 3)
	nodes := mustRepairNodes(t, c, nil)
	n1, n2 := nodes[c.ids[0]], nodes[c.ids[1]]
	data := []byte("referenced on node 2 only")
	h := mustWrite(t, c.stores[n1.id], data)
	mustWrite(t, c.stores[n2.id], data)
	if err := setCount(n1, h, 1); err != nil {
		t.Fatal(err)
	}
	if err := setCount(n1, h, 0); err != nil {
		t.Fatal(err)
	}
	if err := setCount(n2, h, 1); err != nil {
		t.Fatal(err)
	}
	n1.clock.advance(10 * time.Minute) // past GCDelay and the file's age
	res, err := n1.r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 0 || !c.stores[n1.id].Has(h) {
		t.Fatalf("deleted a block node 2 references: %+v", res)
	}
	// A holder that is down cannot agree either.
	if err := setCount(n2, h, 0); err != nil {
		t.Fatal(err)
	}
	c.net.setDown(c.ids[2], true)
	n1.clock.advance(2 * time.Minute) // past the recheck of a kept block
	if res, _ := n1.r.Collect(context.Background()); res.Deleted != 0 || !c.stores[n1.id].Has(h) {
		t.Fatalf("deleted a block while a holder was down: %+v", res)
	}
	c.net.setDown(c.ids[2], false)
	if res, _ := n1.r.Collect(context.Background()); res.Deleted != 0 {
		t.Fatal("a kept block was collected before its recheck")
	}
	n1.clock.advance(2 * time.Minute)
	if res, err := n1.r.Collect(context.Background()); err != nil || res.Deleted != 1 || c.stores[n1.id].Has(h) {
		t.Fatalf("block kept once no holder references it: %+v, %v", res, err)
	}
}

func TestGCKeepsBlockWrittenRecently(t *testing.T) {
	c := mustCluster(t, 1)
	nodes := mustRepairNodes(t, c, nil)
	n1 := nodes[c.ids[0]]
	n1.clock.now = time.Now().Add(-time.Hour) // the count dropped an hour ago
	h := mustWrite(t, c.stores[n1.id], []byte("upload in flight"))
	if err := setCount(n1, h, 1); err != nil {
		t.Fatal(err)
	}
	if err := setCount(n1, h, 0); err != nil {
		t.Fatal(err)
	}
	// The count is old enough, but the file was written after the
	// cutoff: an upload may be about to reference it.
	mustWrite(t, c.stores[n1.id], []byte("upload in flight")) // refreshes the mtime to the real now
	n1.clock.now = time.Now().Add(30 * time.Second)
	if res, _ := n1.r.Collect(context.Background()); res.Deleted != 0 || !c.stores[n1.id].Has(h) {
		t.Fatalf("deleted a block written within the delay: %+v", res)
	}
	// Once the write is older than the delay, it goes.
	n1.clock.now = time.Now().Add(2 * time.Minute)
	if res, _ := n1.r.Collect(context.Background()); res.Deleted != 1 || c.stores[n1.id].Has(h) {
		t.Fatalf("block kept after the delay: %+v", res)
	}
}

func TestSweepRemovesOrphanFilesOnlyAfterTheDelay(t *testing.T) {
	c := mustCluster(t, 2)
	nodes := mustRepairNodes(t, c, func(_ cluster.NodeID, cfg *ResyncConfig) { cfg.OrphanDelay = time.Hour })
	n1 := nodes[c.ids[0]]
	orphan := mustWrite(t, c.stores[n1.id], []byte("written, never referenced (crash)"))
	counted := mustWrite(t, c.stores[n1.id], []byte("referenced"))
	if err := setCount(n1, counted, 1); err != nil {
		t.Fatal(err)
	}
	n1.clock.advance(30 * time.Minute)
	if res, _ := n1.r.Collect(context.Background()); res.Orphans != 0 || !c.stores[n1.id].Has(orphan) {
		t.Fatalf("orphan swept before its delay: %+v", res)
	}
	n1.clock.advance(time.Hour)
	res, err := n1.r.Collect(context.Background())
	if err != nil || res.Orphans != 1 || c.stores[n1.id].Has(orphan) {
		t.Fatalf("orphan not swept after its delay: %+v, %v", res, err)
	}
	if !c.stores[n1.id].Has(counted) {
		t.Fatal("sweep deleted a referenced block")
	}
}

func TestLimiterHonoursRate(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	l := newLimiter(1 << 20) // 1 MiB/s, a 1 MiB bucket
	l.now, l.sleep = clock.Now, clock.Sleep
	for range 10 {
		if err := l.wait(context.Background(), 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	// 10 MiB at 1 MiB/s with 1 MiB of burst: at least 9 s of waiting.
	if clock.slept < 9*time.Second || l.bytes() != 10<<20 {
		t.Fatalf("slept %v for %d bytes", clock.slept, l.bytes())
	}
}

func TestScrubRateAndTranquility(t *testing.T) {
	c := mustCluster(t, 1)
	nodes := mustRepairNodes(t, c, func(_ cluster.NodeID, cfg *ResyncConfig) { cfg.Rate = 1 << 20 })
	n1 := nodes[c.ids[0]]
	total := 0
	for i := range 4 {
		data := bytes.Repeat([]byte{byte(i)}, 1<<20)
		mustWrite(t, c.stores[n1.id], data)
		total += len(data)
	}
	if _, err := n1.r.Scrub(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	st, _ := n1.r.Stats()
	if st.ScrubBytes != int64(total) || n1.clock.slept < 3*time.Second {
		t.Fatalf("scrub read %d bytes (want %d) and slept %v (want >= 3s)", st.ScrubBytes, total, n1.clock.slept)
	}
}

func TestReadThatMissesLocallyQueuesTheBlock(t *testing.T) {
	c := mustCluster(t, 2)
	nodes := mustRepairNodes(t, c, nil)
	data := []byte("lost on node 2's disk")
	h := mustWrite(t, c.stores[c.ids[0]], data)
	n2 := nodes[c.ids[1]]
	if err := setCount(n2, h, 1); err != nil {
		t.Fatal(err)
	}
	if err := n2.refs.ResyncDone(h, n2.clock.Now()); err != nil { // as if resynced before the disk lost it
		t.Fatal(err)
	}
	got, release, err := n2.r.cfg.Store.ReadPooled(context.Background(), h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read: %v", err)
	}
	release()
	if _, err := n2.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.stores[n2.id].Has(h) {
		t.Fatal("a block a read missed locally was not fetched")
	}
}

func TestCorruptCopyFoundByAReadIsReplaced(t *testing.T) {
	c := mustCluster(t, 2)
	nodes := mustRepairNodes(t, c, nil)
	n1 := nodes[c.ids[0]]
	c.stores[n1.id].OnCorrupt = n1.r.ReportCorrupt
	data := bytes.Repeat([]byte("bit rot "), 500)
	var h storage.Hash
	for _, id := range c.ids {
		h = mustWrite(t, c.stores[id], data)
	}
	if err := setCount(n1, h, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := n1.r.ProcessDue(context.Background()); err != nil { // the first reference's check
		t.Fatal(err)
	}
	corruptBlock(t, c.stores[n1.id], h)
	got, release, err := n1.r.cfg.Store.ReadPooled(context.Background(), h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read with a corrupt local copy: %v", err)
	}
	release()
	if c.stores[n1.id].Has(h) {
		t.Fatal("corrupt copy not set aside")
	}
	if _, err := n1.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.stores[n1.id].Verify(h); err != nil {
		t.Fatalf("block after resync: %v", err)
	}
}

func TestRetryNowSkipsTheBackoff(t *testing.T) {
	c := mustCluster(t, 2)
	nodes := mustRepairNodes(t, c, nil)
	h := mustWrite(t, c.stores[c.ids[0]], []byte("waiting for node 1"))
	n2 := nodes[c.ids[1]]
	c.net.setDown(c.ids[0], true)
	if err := setCount(n2, h, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := n2.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.net.setDown(c.ids[0], false)
	n2.r.RetryNow()
	if _, err := n2.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.stores[n2.id].Has(h) {
		t.Fatal("block not fetched at once when its holder came back")
	}
}

func TestGCOnAFormerHolderWaitsForTheHoldersCopies(t *testing.T) {
	c := mustCluster(t, 3)
	others := c.ids[1:]
	nodes := mustRepairNodes(t, c, func(id cluster.NodeID, cfg *ResyncConfig) {
		if id == c.ids[0] {
			cfg.Holders = func(uint8) []cluster.NodeID { return others }
		}
	})
	n1 := nodes[c.ids[0]]
	n1.holds = false
	data := []byte("left behind by a layout change")
	h := mustWrite(t, c.stores[n1.id], data)
	mustWrite(t, c.stores[c.ids[1]], data)
	for _, id := range others {
		if err := setCount(nodes[id], h, 1); err != nil { // the holders use it
			t.Fatal(err)
		}
	}
	if err := setCount(n1, h, 1); err != nil {
		t.Fatal(err)
	}
	if err := setCount(n1, h, 0); err != nil { // recounted to zero here
		t.Fatal(err)
	}
	n1.clock.advance(10 * time.Minute)
	if res, _ := n1.r.Collect(context.Background()); res.Deleted != 0 {
		t.Fatal("former holder deleted the copy a holder still lacks")
	}
	mustWrite(t, c.stores[c.ids[2]], data)
	n1.clock.advance(2 * time.Minute)
	if res, err := n1.r.Collect(context.Background()); err != nil || res.Deleted != 1 || c.stores[n1.id].Has(h) {
		t.Fatalf("former holder kept a copy every holder has: %+v, %v", res, err)
	}
}

func TestUncountedCopyOnANonHolderIsHandedOver(t *testing.T) {
	c := mustCluster(t, 2)
	others := c.ids[1:]
	nodes := mustRepairNodes(t, c, func(id cluster.NodeID, cfg *ResyncConfig) {
		if id == c.ids[0] {
			cfg.Holders = func(uint8) []cluster.NodeID { return others }
		}
	})
	n1 := nodes[c.ids[0]]
	n1.holds = false
	h := mustWrite(t, c.stores[n1.id], []byte("written just before the partition moved"))
	if err := n1.r.Enqueue(h); err != nil { // as the layout change's scan does
		t.Fatal(err)
	}
	if _, err := n1.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.stores[n1.id].Has(h) || !c.stores[others[0]].Has(h) {
		t.Fatal("an uncounted copy on a node that no longer holds its partition was not handed over")
	}
}

func TestBlockStoredOnANonHolderIsQueued(t *testing.T) {
	c := mustCluster(t, 2)
	others := c.ids[1:]
	nodes := mustRepairNodes(t, c, func(id cluster.NodeID, cfg *ResyncConfig) {
		if id == c.ids[0] {
			cfg.Holders = func(uint8) []cluster.NodeID { return others }
		}
	})
	n1 := nodes[c.ids[0]]
	n1.holds = false
	c.stores[n1.id].OnStore = n1.r.Stored
	h := mustWrite(t, c.stores[n1.id], []byte("a late write from an old layout"))
	if _, err := n1.r.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.stores[n1.id].Has(h) || !c.stores[others[0]].Has(h) {
		t.Fatal("a block written on a non-holder was not handed over")
	}
}
