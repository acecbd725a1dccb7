package table

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// leaseCluster is a netCluster whose nodes have read leases and syncers.
type leaseCluster struct {
	*netCluster
	leases  []*Leases
	syncers []*Syncer
}

// testLease is short, so that tests that wait a lease out stay short; the
// waits are the protocol's, the tests only poll for their outcome.
const testLease = 400 * time.Millisecond

func newLeaseCluster(t *testing.T) *leaseCluster {
	t.Helper()
	c := &leaseCluster{netCluster: newNetCluster(t)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for i, id := range c.ids {
		sy, err := NewSyncer(SyncConfig{
			Self: id, Local: c.locals[i], Caller: c.net.caller(id), Alive: c.alive,
			Holders: func(uint8) []cluster.NodeID { return c.ids }, Interval: time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
		lz, err := NewLeases(LeaseConfig{
			Self: id, Duration: testLease, Caller: c.net.caller(id),
			Peers:    func() []cluster.NodeID { return c.ids },
			Replicas: func(uint8) ([]cluster.NodeID, uint64, bool) { return c.ids, 1, true },
			Alive:    c.alive,
			Sync: func(ctx context.Context, p uint8, peers []cluster.NodeID) error {
				_, err := sy.SyncPartition(ctx, p, peers)
				return err
			},
			Log: discardLog(), Registerer: prometheus.NewRegistry(),
		})
		if err != nil {
			t.Fatal(err)
		}
		// A grantor that just started lists every replica as a holder
		// for one lease: start these as if long up.
		lz.started = lz.started.Add(-testLease)
		c.locals[i].SetLeases(lz)
		RegisterLeaseRPC(c.net.registrar(id), lz)
		c.leases = append(c.leases, lz)
		c.syncers = append(c.syncers, sy)
	}
	for _, lz := range c.leases {
		go lz.Run(ctx)
	}
	return c
}

// waitReadable waits until node i reads the partition of pk locally.
func (c *leaseCluster) waitReadable(t *testing.T, i int, pk string) {
	t.Helper()
	p := HashPartitionKey([]byte(pk)).Partition()
	waitFor(t, "a read lease on the partition", func() bool { return c.leases[i].Readable(p) })
}

func (c *leaseCluster) get(t *testing.T, i int, pk, sk string) string {
	t.Helper()
	e, found, err := c.tables[i].Get(context.Background(), []byte(pk), []byte(sk))
	if err != nil {
		t.Fatalf("get via node %d: %v", i, err)
	}
	if !found {
		return ""
	}
	return e.V.Value
}

// A node holding a lease answers reads from its own copy: no RPC.
func TestLeaseReadsLocally(t *testing.T) {
	c := newLeaseCluster(t)
	ctx := context.Background()
	if err := c.tables[1].Insert(ctx, entry("pk", "a", 10, "one")); err != nil {
		t.Fatal(err)
	}
	c.waitReadable(t, 0, "pk")
	before := c.net.gets.Load()
	for range 10 {
		if got := c.get(t, 0, "pk", "a"); got != "one" {
			t.Fatalf("local read: %q, want one", got)
		}
	}
	if n := c.net.gets.Load() - before; n != 0 {
		t.Fatalf("%d table.get calls for reads under a lease, want 0", n)
	}
	if got := metricValue(t, c.leases[0].m.reads.WithLabelValues("counters", "local")); got < 1 {
		t.Fatalf("local reads counted: %v, want at least 1", got)
	}
}

// A write is acknowledged only once every lease holder has it: right
// after it returns, a holder's local read sees it.
func TestLeaseWriteReachesEveryHolder(t *testing.T) {
	c := newLeaseCluster(t)
	ctx := context.Background()
	for i := range c.ids {
		c.waitReadable(t, i, "pk")
	}
	for round := range 20 {
		v := string(rune('a' + round))
		if err := c.tables[round%3].Insert(ctx, entry("pk", "k", uint64(100+round), v)); err != nil {
			t.Fatal(err)
		}
		for i := range c.ids {
			if got := c.stored(t, i, "pk", "k"); got != v {
				t.Fatalf("round %d: node %d holds %q after the write returned, want %q", round, i, got, v)
			}
		}
	}
}

// A holder the coordinator cannot reach, though its grantor can (a
// partial partition), is revoked and waited out: once the write returns,
// the holder no longer answers the old value from its copy.
func TestLeaseUnreachableHolderIsRevoked(t *testing.T) {
	c := newLeaseCluster(t)
	ctx := context.Background()
	if err := c.tables[0].Insert(ctx, entry("pk", "k", 10, "old")); err != nil {
		t.Fatal(err)
	}
	c.waitReadable(t, 1, "pk")
	c.net.setPairCut(c.ids[0], c.ids[1], true)
	if err := c.tables[0].Insert(ctx, entry("pk", "k", 20, "new")); err != nil {
		t.Fatalf("write with a holder cut off from the coordinator: %v", err)
	}
	if got := c.stored(t, 1, "pk", "k"); got != "old" {
		t.Fatalf("node 1 holds %q: the cut did not hold", got)
	}
	// Node 1 reaches node 2: its read (local or not) must see "new".
	if got := c.get(t, 1, "pk", "k"); got != "new" {
		t.Fatalf("read via the cut-off holder after the write: %q, want new", got)
	}
	if got := metricValue(t, c.leases[2].m.revoked); got < 1 {
		t.Fatalf("revocations at the grantor: %v, want at least 1", got)
	}
}

// A value that reached this replica only (its coordinator died) is not
// answered from the copy: the read goes to a quorum and brings the value
// to it first.
func TestLeaseUnsettledValueIsReadAtQuorum(t *testing.T) {
	c := newLeaseCluster(t)
	ctx := context.Background()
	if err := c.tables[0].Insert(ctx, entry("pk", "k", 10, "old")); err != nil {
		t.Fatal(err)
	}
	c.waitReadable(t, 1, "pk")
	v, err := encodeCounter(entry("pk", "k", 20, "half"))
	if err != nil {
		t.Fatal(err)
	}
	// A coordinator reached node 1 and died.
	if _, err := NewRemote(c.ids[1], c.net.caller(c.ids[0])).Update(ctx, "counters", [][]byte{v}); err != nil {
		t.Fatal(err)
	}
	if got := c.get(t, 1, "pk", "k"); got != "half" {
		t.Fatalf("read via node 1: %q, want half", got)
	}
	on := 0
	for i := range c.ids {
		if c.stored(t, i, "pk", "k") == "half" {
			on++
		}
	}
	if on < 2 {
		t.Fatalf("the value read is on %d replicas, want a quorum (2)", on)
	}
	// Settled now: the next read is local.
	local := metricValue(t, c.leases[1].m.reads.WithLabelValues("counters", "local"))
	if got := c.get(t, 1, "pk", "k"); got != "half" {
		t.Fatalf("second read: %q", got)
	}
	if after := metricValue(t, c.leases[1].m.reads.WithLabelValues("counters", "local")); after != local+1 {
		t.Fatalf("the settled key was not read locally (local reads %v -> %v)", local, after)
	}
}

// A grant that lapsed starts a new epoch: the holder reads locally again
// only after catching up, so a write it missed meanwhile is not lost.
func TestLeaseCatchUpAfterLapse(t *testing.T) {
	c := newLeaseCluster(t)
	ctx := context.Background()
	if err := c.tables[0].Insert(ctx, entry("pk", "k", 10, "old")); err != nil {
		t.Fatal(err)
	}
	c.waitReadable(t, 2, "pk")
	c.net.setCut(c.ids[2], true)
	p := HashPartitionKey([]byte("pk")).Partition()
	waitFor(t, "node 2's lease to lapse", func() bool { return !c.leases[2].Readable(p) })
	if err := c.tables[0].Insert(ctx, entry("pk", "k", 20, "new")); err != nil {
		t.Fatal(err)
	}
	c.net.setCut(c.ids[2], false)
	c.waitReadable(t, 2, "pk")
	if got := c.get(t, 2, "pk", "k"); got != "new" {
		t.Fatalf("local read after the lease came back: %q, want new", got)
	}
}

// Grants: a renewal before expiry keeps the epoch; a lapse or a
// revocation starts a new one, and a revoked holder gets nothing for a
// while.
func TestLeaseGrantEpochs(t *testing.T) {
	lz, err := NewLeases(LeaseConfig{
		Self: testID(0), Duration: time.Second, Caller: newFakeNet().caller(testID(0)),
		Peers: func() []cluster.NodeID { return nil }, Replicas: func(uint8) ([]cluster.NodeID, uint64, bool) { return nil, 0, false },
		Sync: func(context.Context, uint8, []cluster.NodeID) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	lz.now = func() time.Time { return now }
	lz.started = now.Add(-time.Hour)
	h := testID(1)
	e1, ok := lz.grant(h)
	if !ok {
		t.Fatal("first grant refused")
	}
	now = now.Add(900 * time.Millisecond)
	if e, _ := lz.grant(h); e != e1 {
		t.Fatal("a renewal before expiry started a new epoch")
	}
	if hs := lz.holders(); len(hs.Nodes) != 1 || hs.Nodes[0] != h || hs.All != 0 {
		t.Fatalf("holders %+v, want just the holder", hs)
	}
	now = now.Add(1001 * time.Millisecond)
	if hs := lz.holders(); len(hs.Nodes) != 0 {
		t.Fatalf("expired grant still listed: %+v", hs)
	}
	e2, _ := lz.grant(h)
	if e2 == e1 {
		t.Fatal("a grant after a lapse kept the epoch")
	}
	if left := lz.revoke(h); left != time.Second {
		t.Fatalf("revoke left %v, want 1s", left)
	}
	if _, ok := lz.grant(h); ok {
		t.Fatal("a revoked holder got a grant at once")
	}
	now = now.Add(revokeBan(time.Second))
	e3, ok := lz.grant(h)
	if !ok || e3 == e2 {
		t.Fatalf("after the ban: granted %v, epoch %v (was %v)", ok, e3, e2)
	}
	// A restarted grantor lists everyone for one lease.
	lz.started = now
	if hs := lz.holders(); hs.All != time.Second {
		t.Fatalf("right after start All = %v, want 1s", hs.All)
	}
}

// Writes other nodes coordinate leave marks on keys that may never be
// read here; past settleMarks in a partition, a sync with the grantor
// settles them, and the keys read locally again.
func TestLeaseManyMarksAreSettledBySync(t *testing.T) {
	c := newLeaseCluster(t)
	ctx := context.Background()
	c.waitReadable(t, 1, "pk")
	var es []counter
	for i := range settleMarks + 10 {
		es = append(es, entry("pk", fmt.Sprintf("k%04d", i), 10, "v"))
	}
	// Node 0 coordinates: node 1 gets them as a replica, marked.
	if err := c.tables[0].Insert(ctx, es...); err != nil {
		t.Fatal(err)
	}
	p := HashPartitionKey([]byte("pk")).Partition()
	waitFor(t, "the marks to be settled", func() bool { return c.leases[1].dirty.count(p) < settleMarks })
	local := metricValue(t, c.leases[1].m.reads.WithLabelValues("counters", "local"))
	if got := c.get(t, 1, "pk", "k0000"); got != "v" {
		t.Fatalf("read: %q", got)
	}
	if after := metricValue(t, c.leases[1].m.reads.WithLabelValues("counters", "local")); after != local+1 {
		t.Fatalf("a settled key was not read locally (local reads %v -> %v)", local, after)
	}
}
