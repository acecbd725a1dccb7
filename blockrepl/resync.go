package blockrepl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// Resync back-off: a block that could not be fixed is tried again after
// resyncMinBackoff, doubling up to resyncMaxBackoff. It never leaves the
// queue until fixed.
const (
	resyncMinBackoff = 10 * time.Second
	resyncMaxBackoff = time.Hour
	resyncBatch      = 100
	// reportBuffer is how many bad local copies Report keeps before the
	// worker queues them; more are dropped (a scrub finds them again).
	reportBuffer = 1024
)

// ResyncConfig configures a Resyncer. Store, Refs, Holders and Holds are
// required.
type ResyncConfig struct {
	// Store reaches the other nodes; its Config.Local is this node's block
	// store and Config.Node this node.
	Store *Store
	// Refs is this node's reference counter, which also keeps the resync
	// queue.
	Refs *storage.RefCounts
	// Holders returns the nodes that hold partition p in any layout
	// version still in use (this node may be one of them).
	Holders func(p uint8) []cluster.NodeID
	// Holds reports whether this node holds partition p in a layout
	// version still in use.
	Holds func(p uint8) bool
	// Tranquility: after each step the worker idles this many times as
	// long as the step took; 0 runs flat out.
	Tranquility int
	// Rate caps the bytes per second that resync and scrub read or send
	// (each its own bucket); 0: no cap.
	Rate int64
	// GCDelay is how long a block stays unreferenced before the collector
	// may delete it (also how recent a file write counts as an upload in
	// flight).
	GCDelay time.Duration
	// OrphanDelay is how old a block file without any counter entry must
	// be before the sweep deletes it (DefaultOrphanDelay if 0).
	OrphanDelay time.Duration
	// Log receives what the workers do; nil discards it.
	Log *slog.Logger
	// Registerer, if set, receives the metrics.
	Registerer prometheus.Registerer
	// Now and Sleep are the clock (time.Now and a context-aware sleep if
	// nil); tests replace them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Resyncer makes this node hold exactly the blocks its partitions need:
// it fetches missing or corrupt ones from other holders, hands over those
// of partitions that moved away, scrubs the disk and collects blocks no
// holder references. It is safe for concurrent use.
type Resyncer struct {
	cfg       ResyncConfig
	local     *storage.BlockStore
	self      cluster.NodeID
	log       *slog.Logger
	m         *repairMetrics
	resyncLim *limiter
	scrubLim  *limiter
	wake      chan struct{}
	reports   chan storage.Hash
	lastSweep atomic.Int64 // unix ms of the last orphan sweep

	gcMu   sync.Mutex
	gcKept map[storage.Hash]time.Time // blocks a holder kept, until when
}

// NewResyncer returns a resyncer; start its worker with Run. It panics on
// missing required fields (wiring mistakes).
func NewResyncer(cfg ResyncConfig) *Resyncer {
	if cfg.Store == nil || cfg.Refs == nil || cfg.Holders == nil || cfg.Holds == nil {
		panic("blockrepl: ResyncConfig.Store, Refs, Holders and Holds are required")
	}
	if cfg.Store.cfg.Local == nil {
		panic("blockrepl: a Resyncer needs a node with a local block store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.OrphanDelay <= 0 {
		cfg.OrphanDelay = DefaultOrphanDelay
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Resyncer{
		cfg: cfg, local: cfg.Store.cfg.Local, self: cfg.Store.cfg.Node, log: log,
		resyncLim: newLimiter(cfg.Rate), scrubLim: newLimiter(cfg.Rate),
		wake: make(chan struct{}, 1), reports: make(chan storage.Hash, reportBuffer),
		gcKept: map[storage.Hash]time.Time{},
	}
	for _, l := range []*limiter{r.resyncLim, r.scrubLim} {
		l.now, l.sleep = cfg.Now, cfg.Sleep
	}
	r.m = newRepairMetrics(r)
	report := r.Report
	cfg.Store.onLocalMiss.Store(&report)
	r.lastSweep.Store(cfg.Now().UnixMilli())
	if cfg.Registerer != nil {
		if err := r.m.register(cfg.Registerer); err != nil {
			log.Warn("block repair metrics not registered", "err", err)
		}
	}
	return r
}

// Report queues a block whose local copy a read found missing or corrupt.
// It never blocks (it is called from the read path): when its buffer is
// full the report is dropped, and a scrub or a full resync finds the
// block again.
func (r *Resyncer) Report(h storage.Hash) {
	select {
	case r.reports <- h:
		r.poke()
	default:
	}
}

// ReportCorrupt sets aside a local copy found corrupt (so that no read
// meets it again and resync sees the block missing) and queues the block
// for resync. It is meant for storage.BlockStore.OnCorrupt.
func (r *Resyncer) ReportCorrupt(h storage.Hash) {
	if err := r.local.Quarantine(h); err != nil {
		r.log.Warn("could not set a corrupt block aside", "block", h, "err", err)
	}
	r.Report(h)
}

// Stored is meant for storage.BlockStore.OnStore: a block written here
// although this node does not hold its partition (a writer with an older
// layout, a write that finished after the change) is queued, to be handed
// over to the holders.
func (r *Resyncer) Stored(h storage.Hash) {
	p := Partition(h)
	if !r.cfg.Holds(p) && len(r.cfg.Holders(p)) > 0 {
		r.Report(h)
	}
}

// RetryNow makes every queued block due at once (a node came back: the
// blocks waiting for it need not wait for their back-off).
func (r *Resyncer) RetryNow() {
	if err := r.cfg.Refs.ResyncAllDue(r.cfg.Now()); err != nil {
		r.log.Warn("could not reschedule the resync queue", "err", err)
	}
	r.poke()
}

// Enqueue queues blocks for resync, due at once.
func (r *Resyncer) Enqueue(hs ...storage.Hash) error {
	if err := r.cfg.Refs.EnqueueResync(r.cfg.Now(), hs...); err != nil {
		return err
	}
	r.poke()
	return nil
}

func (r *Resyncer) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works through the resync queue until ctx ends: at once for new
// entries, otherwise when the next retry is due (at least every minute).
func (r *Resyncer) Run(ctx context.Context) {
	for {
		r.drainReports()
		wait := time.Minute
		if _, err := r.ProcessDue(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("block resync pass failed; will retry", "err", err)
			wait = resyncMinBackoff
		} else if next, ok, err := r.cfg.Refs.NextResync(); err == nil && ok {
			wait = min(wait, max(next.Sub(r.cfg.Now()), 0)+10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// drainReports moves reported blocks into the persistent queue.
func (r *Resyncer) drainReports() {
	var hs []storage.Hash
	for {
		select {
		case h := <-r.reports:
			hs = append(hs, h)
			continue
		default:
		}
		break
	}
	if len(hs) > 0 {
		if err := r.cfg.Refs.EnqueueResync(r.cfg.Now(), hs...); err != nil {
			r.log.Warn("could not queue reported blocks for resync", "count", len(hs), "err", err)
		}
	}
}

// ProcessDue handles every queued block that is due, batch by batch,
// until none is left due or ctx ends. It returns how many blocks it
// handled (fixed, retried later or left alone).
func (r *Resyncer) ProcessDue(ctx context.Context) (int, error) {
	n := 0
	for {
		r.drainReports()
		now := r.cfg.Now()
		items, err := r.cfg.Refs.DueResync(now, resyncBatch)
		if err != nil || len(items) == 0 {
			return n, err
		}
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			start := r.cfg.Now()
			err := r.resyncOne(ctx, it.Hash)
			n++
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			if err != nil {
				r.m.resyncErrors.Inc()
				next := now.Add(backoff(it.Attempts))
				attempts, qerr := r.cfg.Refs.ResyncRetry(it.Hash, next)
				if qerr != nil {
					return n, qerr
				}
				r.log.Warn("block resync failed; will retry", "block", it.Hash, "attempts", attempts, "next", next, "err", err)
			} else if err := r.cfg.Refs.ResyncDone(it.Hash, now); err != nil {
				return n, err
			}
			if err := tranquil(ctx, r.cfg.Tranquility, start, r.cfg.Now, r.cfg.Sleep); err != nil {
				return n, err
			}
		}
	}
}

func backoff(attempts uint64) time.Duration {
	d := resyncMinBackoff
	for range min(attempts, 16) {
		d *= 2
		if d >= resyncMaxBackoff {
			return resyncMaxBackoff
		}
	}
	return d
}

// resyncOne brings one block to where it belongs. A nil error means the
// block needs nothing more (for now).
func (r *Resyncer) resyncOne(ctx context.Context, h storage.Hash) error {
	info, err := r.cfg.Refs.Info(h)
	if err != nil {
		return err
	}
	p := Partition(h)
	if len(r.cfg.Holders(p)) == 0 {
		// No layout yet: nobody knows where the block belongs. Try again
		// later (a layout change queues every block anyway).
		return fmt.Errorf("resync block %s: partition %d has no holders yet", h, p)
	}
	holds := r.cfg.Holds(p)
	has := r.local.Has(h)
	switch {
	case info.Count > 0 && holds:
		if has {
			// The content is scrub's business: a copy found corrupt is
			// set aside when found (ReportCorrupt), so it is missing here.
			return nil
		}
		if err := r.fetch(ctx, h, r.resyncLim); err != nil {
			return err
		}
		r.m.fetched.Inc()
		return nil
	case has && !holds:
		// Referenced or not (a reference may still be on its way, and
		// a copy here is no use to anyone): the holders get it if they
		// lack it, and this copy goes once they all have it.
		return r.offload(ctx, h)
	}
	return nil // not needed here, and not here: nothing to do
}

// otherHolders returns the holders of h's partition but this node, in
// read order.
func (r *Resyncer) otherHolders(h storage.Hash) []cluster.NodeID {
	var out []cluster.NodeID
	for _, n := range r.cfg.Holders(Partition(h)) {
		if n != r.self && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return r.cfg.Store.readOrder(out)
}

// fetch copies the block from another holder (verified by hash) into the
// local store. The local file must be absent (or moved aside).
func (r *Resyncer) fetch(ctx context.Context, h storage.Hash, lim *limiter) error {
	var errs []error
	for _, n := range r.otherHolders(h) {
		if !r.cfg.Store.alive(n) {
			errs = append(errs, fmt.Errorf("%s: %w", n.Short(), errDown))
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, r.cfg.Store.cfg.ReadTimeout)
		data, err := r.cfg.Store.getRemote(rctx, n, h)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := lim.wait(ctx, int64(len(data))); err != nil {
			return err
		}
		if _, err := r.local.Write(ctx, data); err != nil {
			return fmt.Errorf("store fetched block %s: %w", h, err)
		}
		r.log.Info("fetched block from another holder", "block", h, "from", n.Short())
		return nil
	}
	if len(errs) == 0 {
		return fmt.Errorf("fetch block %s: no other holder of partition %d", h, Partition(h))
	}
	return fmt.Errorf("fetch block %s: %w", h, errors.Join(errs...))
}

// offload makes sure every current holder has the block, then deletes the
// local copy. Any holder that cannot confirm keeps the copy here.
func (r *Resyncer) offload(ctx context.Context, h storage.Hash) error {
	holders := r.otherHolders(h)
	if len(holders) == 0 {
		return fmt.Errorf("offload block %s: no holder of partition %d to hand it to", h, Partition(h))
	}
	var data []byte
	for _, n := range holders {
		has, err := r.cfg.Store.HasOn(ctx, n, h)
		if err != nil {
			return fmt.Errorf("offload block %s: %w", h, err)
		}
		if has {
			continue
		}
		if data == nil {
			if data, err = r.local.Read(ctx, h); err != nil {
				if errors.Is(err, storage.ErrCorrupt) {
					// The copy is no use to anyone: set it aside; the
					// holders fetch the block from each other.
					return r.local.Quarantine(h)
				}
				return fmt.Errorf("offload block %s: %w", h, err)
			}
			if err := r.resyncLim.wait(ctx, int64(len(data))); err != nil {
				return err
			}
		}
		wctx, cancel := context.WithTimeout(ctx, r.cfg.Store.cfg.WriteTimeout)
		err = r.cfg.Store.putRemote(wctx, n, h, data)
		cancel()
		if err != nil {
			return fmt.Errorf("offload block %s: %w", h, err)
		}
	}
	if err := r.local.Delete(h); err != nil {
		return err
	}
	r.m.offloaded.Inc()
	r.log.Info("handed block over to its holders and deleted the local copy", "block", h, "holders", len(holders))
	return nil
}

// ScanAll queues every block this node knows of (counted or on disk) for
// resync: what `repair blocks` does after recounting. progress, if set,
// gets the number queued so far.
func (r *Resyncer) ScanAll(ctx context.Context, progress func(queued int)) (int, error) {
	n := 0
	var batch []storage.Hash
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.Enqueue(batch...)
		n += len(batch)
		batch = batch[:0]
		if progress != nil {
			progress(n)
		}
		return err
	}
	add := func(h storage.Hash) error {
		batch = append(batch, h)
		if len(batch) >= 1000 {
			return flush()
		}
		return nil
	}
	if err := r.cfg.Refs.Walk(ctx, add); err != nil {
		return n, err
	}
	if err := r.local.Walk(ctx, add); err != nil {
		return n, fmt.Errorf("walk block files: %w", err)
	}
	return n, flush()
}

// localMiss reports a block a read did not find on this node (a replica
// of it) to the resyncer, if there is one.
func (s *Store) localMiss(h storage.Hash) {
	if fn := s.onLocalMiss.Load(); fn != nil {
		(*fn)(h)
	}
}
