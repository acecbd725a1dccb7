package table

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// DefaultSyncInterval is the period of full anti-entropy passes when
// SyncConfig.Interval is zero (anti_entropy_interval).
const DefaultSyncInterval = 10 * time.Minute

// SyncConfig configures a Syncer.
type SyncConfig struct {
	// Self is this node.
	Self cluster.NodeID
	// Local is this node's replica of every table; its registered tables
	// are the ones synchronised.
	Local *Local
	// Caller reaches the other nodes (which serve RegisterRPC).
	Caller Caller
	// Alive reports whether a node is thought up; nil: every node is.
	Alive func(cluster.NodeID) bool
	// Holders returns the nodes that must hold partition p (the union over
	// the layout versions still in use; may include Self, may be empty).
	// Called often: it must be cheap.
	Holders func(p uint8) []cluster.NodeID
	// Interval is the period of full passes (anti_entropy_interval);
	// 0: DefaultSyncInterval.
	Interval time.Duration
	// Tranquility makes a pass idle this many times as long as each
	// partition took before the next one (resync_tranquility); 0: no idling.
	Tranquility int
	// Log receives the syncer's messages; nil: the Local's logger.
	Log *slog.Logger
	// Registerer, if set, receives the syncer's metrics.
	Registerer prometheus.Registerer
}

// Syncer runs anti-entropy: it compares the Merkle trees of this node's
// partitions with those of their other holders and exchanges the entries
// that differ, in both directions, merging them like any write (so hooks
// run and CRDT merges make every exchange idempotent).
//
// At most one partition is synchronised at a time, whoever asks (Run,
// FullSync, SyncPartition, Offload); all methods are safe for concurrent
// use.
type Syncer struct {
	cfg     SyncConfig
	log     *slog.Logger
	m       *syncMetrics
	trigger chan struct{}
	// partMu is held while a partition is synchronised or offloaded.
	partMu sync.Mutex
	// page is how many items one items request asks for (tests make
	// it small).
	page int

	mu        sync.Mutex
	passes    int // passes running
	passDone  int
	passTotal int
	lastFull  time.Time
	lastErrs  int
	lastSkip  int
	tables    map[string]*tableSyncState
}

// tableSyncState is what the syncer knows of one table.
type tableSyncState struct {
	// state of each partition at its last comparison.
	state          [256]partState
	sent, received uint64
	unconverged    uint64
}

type partState uint8

const (
	partUnknown partState = iota
	partInSync
	partOutOfSync
)

// SyncStatus is what a Syncer reports (Syncer.Status).
type SyncStatus struct {
	// Running is true while a pass runs; PassDone of PassTotal partitions
	// are done.
	Running             bool
	PassDone, PassTotal int
	// LastFullSync is the end of the last pass that compared every
	// partition without error (zero: none yet).
	LastFullSync time.Time
	// LastPassErrors counts the partitions of the last finished pass that
	// failed.
	LastPassErrors int
	// LastPassSkipped counts the (partition, holder) pairs the last
	// finished pass left out because the holder was down (Alive false).
	LastPassSkipped int
	// Tables, by name.
	Tables []TableSyncStatus
}

// TableSyncStatus is the anti-entropy state of one table.
type TableSyncStatus struct {
	Table string
	// InSync and OutOfSync count the partitions this node holds by the
	// outcome of their last comparison with the other live holders: equal
	// (or made equal), or still different (a holder failed, or writes kept
	// coming). Partitions not compared yet are in neither.
	InSync, OutOfSync int
	// Sent and Received count the entries exchanged since start;
	// Unconverged the comparisons that still differed after an exchange.
	Sent, Received, Unconverged uint64
}

// NewSyncer returns a syncer; Run starts its periodic passes.
func NewSyncer(cfg SyncConfig) (*Syncer, error) {
	if cfg.Local == nil || cfg.Caller == nil || cfg.Holders == nil {
		return nil, errors.New("new syncer: Local, Caller and Holders are required")
	}
	if cfg.Tranquility < 0 {
		return nil, fmt.Errorf("new syncer: tranquility %d < 0", cfg.Tranquility)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultSyncInterval
	}
	if cfg.Alive == nil {
		cfg.Alive = func(cluster.NodeID) bool { return true }
	}
	log := cfg.Log
	if log == nil {
		log = cfg.Local.log
	}
	m, err := newSyncMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Syncer{cfg: cfg, log: log.With("component", "anti-entropy"), m: m, trigger: make(chan struct{}, 1), page: syncMaxItems, tables: map[string]*tableSyncState{}}, nil
}

// Run makes a full pass at once, then one every Interval (or soon after a
// Trigger), until ctx ends.
func (s *Syncer) Run(ctx context.Context) {
	for {
		if err := s.pass(ctx, nil); err != nil && ctx.Err() == nil {
			s.log.Warn("anti-entropy pass finished with errors", "err", err)
		}
		t := time.NewTimer(s.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.trigger:
			t.Stop()
		}
	}
}

// Trigger asks Run for a pass soon (a node came back, the layout
// changed). Triggers while a pass waits to start coalesce into one; a
// trigger during a pass starts another after it.
func (s *Syncer) Trigger() {
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

// FullSync makes one pass now (repair tables), calling progress (if set)
// after each partition. It returns the partitions' errors. Holders that
// are down are left out, not failed: Status().LastPassSkipped counts
// them.
func (s *Syncer) FullSync(ctx context.Context, progress func(done, total int)) error {
	return s.pass(ctx, progress)
}

// maxPassErrors is how many partition errors a pass returns in full.
const maxPassErrors = 5

// pass synchronises every partition Self holds with its other live
// holders, one at a time, idling between them.
func (s *Syncer) pass(ctx context.Context, progress func(done, total int)) error {
	type job struct {
		p     uint8
		peers []cluster.NodeID
	}
	var jobs []job
	held := [256]bool{}
	skipped := 0
	for p := range 256 {
		holders := s.cfg.Holders(uint8(p))
		if !slices.Contains(holders, s.cfg.Self) {
			continue
		}
		held[p] = true
		var peers []cluster.NodeID
		for _, h := range holders {
			if h == s.cfg.Self || slices.Contains(peers, h) {
				continue
			}
			if !s.cfg.Alive(h) {
				skipped++
				continue
			}
			peers = append(peers, h)
		}
		if len(peers) > 0 {
			jobs = append(jobs, job{uint8(p), peers})
		}
	}
	s.forgetUnheld(held)
	s.mu.Lock()
	s.passes++
	s.passDone, s.passTotal = 0, len(jobs)
	s.m.running.Set(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.passes--
		if s.passes == 0 {
			s.m.running.Set(0)
		}
		s.mu.Unlock()
	}()

	var errs []error
	failed := 0
	began := time.Now()
	var total SyncResult
	for i, j := range jobs {
		start := time.Now()
		r, err := s.SyncPartition(ctx, j.p, j.peers)
		total.add(r)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			failed++
			if len(errs) < maxPassErrors {
				errs = append(errs, err)
			}
		}
		s.mu.Lock()
		s.passDone = i + 1
		s.mu.Unlock()
		if progress != nil {
			progress(i+1, len(jobs))
		}
		if s.cfg.Tranquility > 0 && i+1 < len(jobs) {
			if err := sleepCtx(ctx, time.Duration(s.cfg.Tranquility)*time.Since(start)); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	s.lastErrs, s.lastSkip = failed, skipped
	if failed == 0 {
		s.lastFull = time.Now()
		s.m.lastFull.Set(float64(s.lastFull.Unix()))
	}
	s.mu.Unlock()
	level := slog.LevelDebug
	if total.Differed > 0 || failed > 0 {
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "anti-entropy pass done", "partitions", len(jobs), "failed", failed, "differed", total.Differed,
		"received", total.Received, "sent", total.Sent, "unconverged", total.Unconverged, "took", time.Since(began).Round(time.Millisecond))
	if failed > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more partitions failed", failed-len(errs)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("anti-entropy: %d of %d partitions failed: %w", failed, len(jobs), errors.Join(errs...))
	}
	return nil
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tableState returns the state of table, creating it. s.mu must be held.
func (s *Syncer) tableState(table string) *tableSyncState {
	ts, ok := s.tables[table]
	if !ok {
		ts = &tableSyncState{}
		s.tables[table] = ts
	}
	return ts
}

// forgetUnheld drops the state of partitions Self no longer holds.
func (s *Syncer) forgetUnheld(held [256]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, ts := range s.tables {
		for p := range ts.state {
			if !held[p] {
				ts.state[p] = partUnknown
			}
		}
		s.m.outOfSync.WithLabelValues(name).Set(float64(ts.count(partOutOfSync)))
	}
}

func (ts *tableSyncState) count(st partState) int {
	n := 0
	for _, x := range ts.state {
		if x == st {
			n++
		}
	}
	return n
}

// record notes the outcome of a comparison of partition p of table and
// the entries it exchanged.
func (s *Syncer) record(table string, p uint8, inSync bool, sent, received, unconverged int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tableState(table)
	ts.state[p] = partOutOfSync
	if inSync {
		ts.state[p] = partInSync
	}
	ts.sent += uint64(sent)
	ts.received += uint64(received)
	ts.unconverged += uint64(unconverged)
	s.m.outOfSync.WithLabelValues(table).Set(float64(ts.count(partOutOfSync)))
	s.m.sent.WithLabelValues(table).Add(float64(sent))
	s.m.received.WithLabelValues(table).Add(float64(received))
	if unconverged > 0 {
		s.m.unconverged.WithLabelValues(table).Add(float64(unconverged))
	}
}

// countSent counts entries sent outside a comparison of a held partition.
func (s *Syncer) countSent(table string, sent int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tableState(table).sent += uint64(sent)
	s.m.sent.WithLabelValues(table).Add(float64(sent))
}

// Status reports the syncer's state.
func (s *Syncer) Status() SyncStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SyncStatus{Running: s.passes > 0, PassDone: s.passDone, PassTotal: s.passTotal, LastFullSync: s.lastFull, LastPassErrors: s.lastErrs, LastPassSkipped: s.lastSkip}
	for _, name := range s.cfg.Local.Tables() {
		ts := s.tableState(name)
		st.Tables = append(st.Tables, TableSyncStatus{
			Table: name, InSync: ts.count(partInSync), OutOfSync: ts.count(partOutOfSync),
			Sent: ts.sent, Received: ts.received, Unconverged: ts.unconverged,
		})
	}
	return st
}
