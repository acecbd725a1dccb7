package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/garage-web/garage-web/blockrepl"
	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// A layout change moves data while the cluster serves. Until every node
// has caught up, several layout versions are in use (cluster.Trackers):
// writes reach a quorum of the replicas of each, reads use the version
// this node's SyncAck allows. This file places reads and writes by those
// versions and advances this node's trackers.

// partitionSync is what layout changes need of the table syncer: pull a
// partition from peers, hand one over, and tell whether this node still
// has entries of one.
type partitionSync interface {
	SyncPartition(ctx context.Context, p uint8, peers []cluster.NodeID) error
	Offload(ctx context.Context, p uint8, to []cluster.NodeID) error
	HasPartition(p uint8) bool
}

// writesInFlight counts table writes in flight by the layout version they
// were placed with, so that a node acknowledges a new version only once
// the writes it placed under older ones are done.
type writesInFlight struct {
	mu    sync.Mutex
	count map[uint64]int
	// drained is signalled when a count drops to zero.
	drained chan struct{}
}

func newWritesInFlight() *writesInFlight {
	return &writesInFlight{count: map[uint64]int{}, drained: make(chan struct{}, 1)}
}

// begin records a write placed at version v and returns its end.
func (w *writesInFlight) begin(v uint64) func() {
	w.mu.Lock()
	w.count[v]++
	w.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			w.count[v]--
			zero := w.count[v] == 0
			if zero {
				delete(w.count, v)
			}
			w.mu.Unlock()
			if zero {
				select {
				case w.drained <- struct{}{}:
				default:
				}
			}
		})
	}
}

// olderThan returns the number of writes in flight placed before v.
func (w *writesInFlight) olderThan(v uint64) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for u, c := range w.count {
		if u < v {
			n += c
		}
	}
	return n
}

// replicasAt returns the replicas of partition p in version v of l.
func replicasAt(l *cluster.Layout, v uint64, p uint8) []cluster.NodeID {
	if v == l.Version() {
		return l.Replicas(p)
	}
	r, _ := l.ReplicasAt(v, p)
	return r
}

// versionQuorums returns the read and write quorums of version v.
func (c *clusterNode) versionQuorums(l *cluster.Layout, v uint64) (read, write int) {
	rf, ok := l.VersionReplicationFactor(v)
	if !ok {
		rf = c.replicationFactor()
	}
	return quorums(rf, c.cfg.ConsistencyMode)
}

// holders returns the nodes that hold partition p in any layout version
// in use, the read version's replicas first.
func (c *clusterNode) holders(p uint8) []cluster.NodeID {
	l := c.layout.Get()
	if l.Version() == 0 {
		return nil
	}
	out := replicasAt(l, l.ReadVersion(c.ident.ID), p)
	for _, v := range l.WriteVersions(c.ident.ID) {
		for _, id := range replicasAt(l, v, p) {
			if !containsID(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// holds reports whether this node holds partition p in a version in use.
func (c *clusterNode) holds(p uint8) bool { return containsID(c.holders(p), c.ident.ID) }

func containsID(ids []cluster.NodeID, id cluster.NodeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// WriteSets implements table.TransitionPlacement: one replica set per
// layout version in use, each at its own write quorum.
func (p layoutPlacement) WriteSets(h table.PartitionHash) ([]table.WriteSet, func()) {
	c := p.c
	l := c.layout.Get()
	done := c.writes.begin(l.Version())
	versions := l.WriteVersions(c.ident.ID)
	if len(versions) == 0 {
		return []table.WriteSet{{Quorum: c.writeQuorum()}}, done
	}
	sets := make([]table.WriteSet, 0, len(versions))
	for _, v := range versions {
		_, w := c.versionQuorums(l, v)
		sets = append(sets, table.WriteSet{Nodes: p.NodesOf(replicasAt(l, v, h.Partition())), Quorum: w})
	}
	return sets, done
}

// blockWriteSets are the replica sets a block write must reach.
func (c *clusterNode) blockWriteSets(h storage.Hash) []blockrepl.WriteSet {
	l := c.layout.Get()
	p := blockrepl.Partition(h)
	var sets []blockrepl.WriteSet
	for _, v := range l.WriteVersions(c.ident.ID) {
		_, w := c.versionQuorums(l, v)
		sets = append(sets, blockrepl.WriteSet{Nodes: replicasAt(l, v, p), Quorum: w})
	}
	return sets
}

// transitionEvery is how often the node re-checks its trackers besides
// doing it on every layout or membership change.
const transitionEvery = 5 * time.Second

// kickTransitions asks the tracker loop to look again.
func (c *clusterNode) kickTransitions() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// runTransitions advances this node's trackers until ctx ends.
func (c *clusterNode) runTransitions(ctx context.Context) {
	tick := time.NewTicker(transitionEvery)
	defer tick.Stop()
	for {
		if err := c.advanceTrackers(ctx); err != nil && ctx.Err() == nil {
			c.log.Info("layout change not finished yet; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-c.writes.drained:
		case <-tick.C:
		}
	}
}

// advanceTrackers moves this node's trackers as far as they may go now:
// Ack once no write placed under an older version is in flight; Sync once
// every node acked and this node pulled its partitions from the older
// versions' replicas; SyncAck once every storage node synced. Then it
// hands over the partitions it no longer holds.
func (c *clusterNode) advanceTrackers(ctx context.Context) error {
	self := c.ident.ID
	l := c.layout.Get()
	v := l.Version()
	if v == 0 {
		return nil
	}
	if l.Trackers(self).Ack < v && c.writes.olderThan(v) == 0 {
		if err := c.advance(cluster.Trackers{Ack: v}); err != nil {
			return err
		}
		l = c.layout.Get()
	}
	if l.Version() == v && l.Trackers(self).Sync < v && l.AckMin() >= v {
		if err := c.syncVersion(ctx, l, v); err != nil {
			return fmt.Errorf("sync for layout version %d: %w", v, err)
		}
		if err := c.advance(cluster.Trackers{Sync: v}); err != nil {
			return err
		}
		c.log.Info("synced the partitions of the new layout", "version", v)
		l = c.layout.Get()
	}
	if s := min(l.SyncMin(), l.Version()); l.Trackers(self).SyncAck < s {
		if err := c.advance(cluster.Trackers{SyncAck: s}); err != nil {
			return err
		}
		c.log.Info("reading at the new layout", "version", s)
	}
	return c.offload(ctx)
}

// advance raises this node's trackers in the layout (persisted, spread).
func (c *clusterNode) advance(t cluster.Trackers) error {
	_, err := c.layout.Update(func(l *cluster.Layout) error {
		l.AdvanceTrackers(c.ident.ID, t)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record layout progress: %w", err)
	}
	return nil
}

// errTooFewToSync is a partition that cannot be synced yet: too few of an
// older version's replicas are up to be sure to see every write.
var errTooFewToSync = errors.New("too few replicas up")

// syncVersion pulls, for every partition this node holds in version v,
// what the replicas of the older versions in use hold. Each older set
// must answer with at least its read quorum, which meets every write
// quorum of that set.
func (c *clusterNode) syncVersion(ctx context.Context, l *cluster.Layout, v uint64) error {
	self := c.ident.ID
	versions := l.WriteVersions(self)
	for p := range cluster.NumPartitions {
		part := uint8(p)
		if !containsID(replicasAt(l, v, part), self) {
			continue
		}
		var peers []cluster.NodeID
		for _, u := range versions {
			set := replicasAt(l, u, part)
			up := 0
			for _, id := range set {
				if id == self || c.alive(id) {
					up++
					if id != self && !containsID(peers, id) {
						peers = append(peers, id)
					}
				}
			}
			if r, _ := c.versionQuorums(l, u); u < v && up < r {
				return fmt.Errorf("partition %d: %w: %d of version %d's %d replicas, %d needed", part, errTooFewToSync, up, u, len(set), r)
			}
		}
		if len(peers) == 0 {
			continue
		}
		if c.syncer == nil {
			return errors.New("this node has no table syncer")
		}
		if err := c.syncer.SyncPartition(ctx, part, peers); err != nil {
			return fmt.Errorf("partition %d: %w", part, err)
		}
	}
	return nil
}

// offload hands the partitions this node holds in no version in use to
// their replicas, then drops them locally.
func (c *clusterNode) offload(ctx context.Context) error {
	if c.syncer == nil {
		return nil
	}
	l := c.layout.Get()
	if l.Version() == 0 {
		return nil
	}
	var errs []error
	for p := range cluster.NumPartitions {
		part := uint8(p)
		if c.holds(part) || !c.syncer.HasPartition(part) {
			continue
		}
		var to []cluster.NodeID
		for _, id := range l.Replicas(part) {
			if id != c.ident.ID {
				to = append(to, id)
			}
		}
		if err := c.syncer.Offload(ctx, part, to); err != nil {
			errs = append(errs, fmt.Errorf("hand over partition %d: %w", part, err))
			continue
		}
		c.log.Info("handed over a partition this node no longer holds", "partition", part)
	}
	return errors.Join(errs...)
}
