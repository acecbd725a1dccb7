package table

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// Read leases let a replica answer reads from its own copy, with no round
// trip, while staying as consistent as a quorum read (docs/architecture.md,
// "Reads from the local copy under read leases"). In short, with replication factor 3:
//
//   - A holder H asks the other storage nodes for a lease every L/4. A
//     grantor G records the grant on its clock, for L; H counts it from
//     before it asked, less a margin, so H's lease ends before G's grant.
//   - Every write acknowledgement and every read answer of G lists the
//     holders of G's unexpired grants. A coordinator counts a write (or a
//     value read) only once every listed holder has it too; a holder that
//     does not answer is revoked at its grantors and the coordinator waits
//     out the grant. Every write quorum without H holds a grantor of H
//     (with 3 replicas, one of the other two), so every write acknowledged
//     while H's lease runs reached H.
//   - A grant that is not the continuation of an unexpired one starts a new
//     epoch: H reads partition P locally only after a two-way anti-entropy
//     sync of P with its grantor, begun in the grant's current epoch and in
//     the current layout version, so that what was acknowledged before the
//     lease is on H too.
//   - H's copy can hold a value no quorum has (a write whose coordinator
//     died after reaching H): keys changed by such writes carry a dirty
//     mark and are read at quorum, which settles them.
//
// A grantor that restarted forgot its grants: for L after it starts, it
// lists every replica as a holder.

// LeaseConfig configures a node's read leases.
type LeaseConfig struct {
	// Self is this node.
	Self cluster.NodeID
	// Duration is the lease length L (read_lease); it must be positive.
	Duration time.Duration
	// Caller reaches the other nodes.
	Caller Caller
	// Peers returns the nodes to ask for leases: the other storage nodes
	// of the layout.
	Peers func() []cluster.NodeID
	// Replicas returns the replicas of partition p and the layout version
	// they are of, with ok false while leases do not apply to p (a layout
	// change in progress, a mode or replication factor without leases).
	Replicas func(p uint8) (ids []cluster.NodeID, version uint64, ok bool)
	// Alive reports whether a node is thought up.
	Alive func(cluster.NodeID) bool
	// Sync runs a two-way anti-entropy sync of partition p with peers.
	Sync func(ctx context.Context, p uint8, peers []cluster.NodeID) error
	// Log receives the lease messages.
	Log *slog.Logger
	// Registerer, if set, receives the lease metrics.
	Registerer prometheus.Registerer
}

// Holders is what a replica reports, with an answer, of the read leases
// it granted.
type Holders struct {
	// Nodes hold unexpired grants.
	Nodes []cluster.NodeID
	// All, when positive, says the replica restarted less than a lease
	// ago and may have forgotten grants: every replica counts as a holder
	// for that long.
	All time.Duration
}

func (h Holders) empty() bool { return len(h.Nodes) == 0 && h.All <= 0 }

// epoch names one unbroken run of grants of one grantor to one holder.
type epoch struct {
	incarnation, n uint64
}

type grant struct {
	until time.Time
	epoch epoch
	// revoked: the next grant starts a new epoch, and none is given
	// before banUntil.
	revoked  bool
	banUntil time.Time
}

type heldLease struct {
	until time.Time
	epoch epoch
}

// partLease is a holder's state of one partition: caught up with grantor
// in its epoch and layout version.
type partLease struct {
	ok      bool
	grantor cluster.NodeID
	epoch   epoch
	version uint64
	// gen is the partition's dirty-mark generation at the sync.
	gen uint64
}

// Leases is a node's read leases: the grants it gives and the leases it
// holds, and the dirty marks of its copy.
type Leases struct {
	cfg         LeaseConfig
	log         *slog.Logger
	now         func() time.Time
	started     time.Time
	incarnation uint64
	m           *leaseMetrics

	mu        sync.Mutex
	nextEpoch uint64
	granted   map[cluster.NodeID]*grant
	held      map[cluster.NodeID]heldLease
	parts     [cluster.NumPartitions]partLease
	dirty     dirtyMarks
}

// leaseMargin is the part of a lease a holder gives up to clock drift and
// to the time a grant takes to reach it.
func leaseMargin(d time.Duration) time.Duration { return d / 10 }

// revokeBan is how long a revoked holder gets no grant: a node that a
// coordinator cannot reach but its grantor can would otherwise stall
// every write of that coordinator.
func revokeBan(d time.Duration) time.Duration { return 5 * d }

// NewLeases returns the leases of cfg, before any grant.
func NewLeases(cfg LeaseConfig) (*Leases, error) {
	switch {
	case cfg.Duration <= 0:
		return nil, errors.New("read leases: duration must be positive")
	case cfg.Caller == nil || cfg.Peers == nil || cfg.Replicas == nil || cfg.Sync == nil:
		return nil, errors.New("read leases: Caller, Peers, Replicas and Sync are required")
	}
	if cfg.Alive == nil {
		cfg.Alive = func(cluster.NodeID) bool { return true }
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	l := &Leases{
		cfg: cfg, log: log, now: time.Now, incarnation: binary.BigEndian.Uint64(b[:]),
		granted: map[cluster.NodeID]*grant{}, held: map[cluster.NodeID]heldLease{},
		dirty: newDirtyMarks(),
	}
	l.started = l.now()
	m, err := newLeaseMetrics(l, cfg.Registerer)
	if err != nil {
		return nil, err
	}
	l.m = m
	return l, nil
}

// Duration returns the lease length.
func (l *Leases) Duration() time.Duration { return l.cfg.Duration }

// grant gives holder h a lease of L from now, in the current epoch if its
// last grant has not run out, in a new one otherwise. It refuses (false)
// a holder revoked less than revokeBan ago.
func (l *Leases) grant(h cluster.NodeID) (epoch, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.granted[h]
	if g != nil && now.Before(g.banUntil) {
		return epoch{}, false
	}
	if g == nil || g.revoked || !now.Before(g.until) {
		l.nextEpoch++
		g = &grant{epoch: epoch{l.incarnation, l.nextEpoch}}
		l.granted[h] = g
	}
	g.until = now.Add(l.cfg.Duration)
	return g.epoch, true
}

// holders lists the unexpired grants. It is called after the answer it
// goes with was read or written: a grant given later either continues one
// listed here or starts an epoch whose catch-up sync sees that answer.
func (l *Leases) holders() Holders {
	now := l.now()
	h := Holders{All: l.restartLeft(now)}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, g := range l.granted {
		if now.Before(g.until) {
			h.Nodes = append(h.Nodes, id)
		}
	}
	return h
}

// restartLeft returns how long, from now, every replica still counts as a
// holder because this node started less than a lease ago (0 after that).
func (l *Leases) restartLeft(now time.Time) time.Duration {
	if end := l.started.Add(l.cfg.Duration); now.Before(end) {
		return end.Sub(now)
	}
	return 0
}

// revoke ends holder h's run of grants: it gets no grant for a while, and
// then one of a new epoch. It returns how long the grant it holds may
// still run (and, right after a restart, the rest of the time every
// replica counts as a holder).
func (l *Leases) revoke(h cluster.NodeID) time.Duration {
	now := l.now()
	left := l.restartLeft(now)
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.granted[h]
	if g == nil {
		g = &grant{}
		l.granted[h] = g
	}
	if now.Before(g.until) {
		left = max(left, g.until.Sub(now))
	}
	g.revoked = true
	g.banUntil = now.Add(revokeBan(l.cfg.Duration))
	l.m.revoked.Inc()
	return left
}

// Run renews this node's leases every L/4 and, on its own goroutine (a
// catch-up of every partition takes a round trip each, far longer than a
// lease), catches up the partitions whose lease is new, until ctx ends.
func (l *Leases) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		every(ctx, l.cfg.Duration/4, l.catchUp)
	}()
	every(ctx, l.cfg.Duration/4, l.renew)
	wg.Wait()
}

// every calls f at once and then every d until ctx ends.
func every(ctx context.Context, d time.Duration, f func(context.Context)) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		f(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// renew asks every live peer for a lease, at once.
func (l *Leases) renew(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range l.cfg.Peers() {
		if p == l.cfg.Self || !l.cfg.Alive(p) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.renewFrom(ctx, p)
		}()
	}
	wg.Wait()
}

func (l *Leases) renewFrom(ctx context.Context, p cluster.NodeID) {
	cctx, cancel := context.WithTimeout(ctx, l.cfg.Duration/4)
	defer cancel()
	sent := l.now()
	res, err := call[leaseGrantReq, leaseGrantRes](cctx, l.cfg.Caller, p, MethodLeaseGrant, leaseGrantReq{})
	if err != nil || !res.Granted {
		return
	}
	// The grantor's L may differ from ours: take the shorter.
	d := min(time.Duration(res.DurationMs)*time.Millisecond, l.cfg.Duration)
	e := epoch{res.Incarnation, res.Epoch}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.held[p]; ok && old.epoch != e {
		for i := range l.parts {
			if l.parts[i].grantor == p {
				l.parts[i].ok = false
			}
		}
	}
	l.held[p] = heldLease{until: sent.Add(d - leaseMargin(d)), epoch: e}
}

// validLocked returns the lease held from g, if it runs at now.
func (l *Leases) validLocked(g cluster.NodeID, now time.Time) (heldLease, bool) {
	h, ok := l.held[g]
	return h, ok && now.Before(h.until)
}

// Readable reports whether this node may answer a read of partition p
// from its own copy (the key's dirty mark aside): leases apply to p, this
// node is one of its replicas, and p was caught up in the current epoch
// of a lease that runs, from one of p's other replicas.
func (l *Leases) Readable(p uint8) bool {
	ids, v, ok := l.cfg.Replicas(p)
	if !ok || !slices.Contains(ids, l.cfg.Self) {
		return false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	pl := l.parts[p]
	if !pl.ok || pl.version != v || !slices.Contains(ids, pl.grantor) || pl.gen != l.dirty.generation(p) {
		return false
	}
	h, ok := l.validLocked(pl.grantor, now)
	return ok && h.epoch == pl.epoch
}

// applies reports whether leases apply to partition p now, so that its
// changes need dirty marks. While they do not (a layout change in
// progress, another replication factor), no local read happens, and the
// catch-up sync due before the next one settles every value.
func (l *Leases) applies(p uint8) bool {
	ids, _, ok := l.cfg.Replicas(p)
	return ok && slices.Contains(ids, l.cfg.Self)
}

// settleMarks is the number of dirty marks past which a partition is
// synced again with its grantor, which settles them all: writes that
// other nodes coordinate mark keys that may never be read here.
const settleMarks = 256

// catchUp syncs, one by one, the partitions this node holds that are not
// readable yet, or hold many dirty marks, each with a replica it holds a
// lease from.
func (l *Leases) catchUp(ctx context.Context) {
	for p := range cluster.NumPartitions {
		part := uint8(p)
		if ctx.Err() != nil {
			return
		}
		ids, v, ok := l.cfg.Replicas(part)
		if !ok || !slices.Contains(ids, l.cfg.Self) || (l.Readable(part) && l.dirty.count(part) < settleMarks) {
			continue
		}
		g, e, ok := l.grantorFor(ids)
		if !ok {
			continue
		}
		seq, gen := l.dirty.current(), l.dirty.generation(part)
		sctx, cancel := context.WithTimeout(ctx, 4*l.cfg.Duration+30*time.Second)
		err := l.cfg.Sync(sctx, part, []cluster.NodeID{g})
		cancel()
		if err != nil {
			l.log.Debug("read lease: partition not caught up yet", "partition", part, "err", err)
			continue
		}
		l.mu.Lock()
		if h, ok := l.held[g]; ok && h.epoch == e {
			l.parts[part] = partLease{ok: true, grantor: g, epoch: e, version: v, gen: gen}
			// Every value this node held when the sync began is now on
			// the grantor too: on two of three replicas, a write quorum.
			l.dirty.clearPartition(part, seq)
		}
		l.mu.Unlock()
	}
}

// grantorFor picks, among ids, the first node this node holds a running
// lease from.
func (l *Leases) grantorFor(ids []cluster.NodeID) (cluster.NodeID, epoch, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if id == l.cfg.Self {
			continue
		}
		if h, ok := l.validLocked(id, now); ok {
			return id, h.epoch, true
		}
	}
	return cluster.NodeID{}, epoch{}, false
}

// ReadablePartitions counts the partitions Readable now.
func (l *Leases) ReadablePartitions() int {
	n := 0
	for p := range cluster.NumPartitions {
		if l.Readable(uint8(p)) {
			n++
		}
	}
	return n
}
