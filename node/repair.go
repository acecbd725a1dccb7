package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/blockrepl"
	"github.com/garage-web/garage-web/storage"
)

// Defaults of the background repair settings left at zero.
const (
	defaultScrubInterval = 720 * time.Hour
	// scrubCheckEvery is how often the node looks whether a periodic
	// scrub is due.
	scrubCheckEvery = time.Hour
)

// holdersMark names the stored fingerprint of the placement the last
// complete block scan was for.
const holdersMark = "block-scan-holders"

// repairTypes are the repairs, in the order GetRepairStatus lists them.
var repairTypes = []string{admin.RepairBlocks, admin.RepairTables, admin.RepairScrub}

// repairs runs the node's block resync, scrub and collection, and the
// repairs started by hand (`garage-web repair`, LaunchRepairOperation).
type repairs struct {
	n   *Node
	r   *blockrepl.Resyncer
	log *slog.Logger

	gcDelay       time.Duration
	scrubInterval time.Duration
	disableScrub  bool

	mu  sync.Mutex
	ctx context.Context // the node's run context; nil before Run
	ops map[string]*admin.RepairOperation
	wg  sync.WaitGroup
	// scanning: a layout change's scan runs; rescan: another change came
	// meanwhile.
	scanning, rescan bool
	lastHolders      [sha256.Size]byte // holdersFingerprint at the last scan
	ready            chan struct{}     // closed when run starts
	done             chan struct{}     // closed when run returned
}

// openRepairs builds the resyncer over the node's block store and
// serves block.refs to the other holders' collectors. It runs before the
// RPC server serves.
func (n *Node) openRepairs() error {
	cfg := n.cfg
	gcDelay := cfg.BlockGCDelay.D()
	if gcDelay <= 0 {
		gcDelay = GCDelay
	}
	rp := &repairs{
		n: n, log: n.log.With("part", "repair"),
		gcDelay: gcDelay, scrubInterval: cfg.ScrubInterval.D(), disableScrub: cfg.DisableScrub,
		ops: map[string]*admin.RepairOperation{}, ready: make(chan struct{}), done: make(chan struct{}),
	}
	if rp.scrubInterval <= 0 {
		rp.scrubInterval = defaultScrubInterval
	}
	for _, t := range repairTypes {
		rp.ops[t] = &admin.RepairOperation{RepairType: t, State: admin.RepairIdle}
	}
	rp.r = blockrepl.NewResyncer(blockrepl.ResyncConfig{
		Store:       n.repl.blocks,
		Refs:        n.refs,
		Holders:     n.cluster.holders,
		Holds:       n.cluster.holds,
		Tranquility: cfg.ResyncTranquility,
		Rate:        int64(cfg.BackgroundRate),
		GCDelay:     gcDelay,
		Log:         rp.log,
		Registerer:  n.registry,
	})
	blockrepl.RegisterRefs(n.cluster.rpcSrv, n.refs, n.blocks, gcDelay)
	// A corrupt or missing local copy met by a read is fixed from a
	// replica by the resync worker.
	prev := n.blocks.OnCorrupt
	n.blocks.OnCorrupt = func(h storage.Hash) {
		if prev != nil {
			prev(h)
		}
		rp.r.ReportCorrupt(h)
	}
	n.blocks.OnStore = rp.r.Stored
	// A node back: what waited for it goes now. A layout change: every
	// block is looked at again (moved to or off this node).
	n.cluster.onPeerUp = append(n.cluster.onPeerUp, rp.r.RetryNow)
	prevLayout := n.cluster.onLayout
	n.cluster.onLayout = func() {
		prevLayout()
		rp.layoutChanged()
	}
	n.model.SetBlockCollector(func(ctx context.Context) error {
		res, err := rp.r.Collect(ctx)
		if res.Deleted+res.Orphans > 0 {
			rp.log.Info("deleted unreferenced blocks that no holder references", "count", res.Deleted, "orphans", res.Orphans)
		}
		return err
	})
	n.repair = rp
	return nil
}

// run runs the resync worker and the periodic scrub until ctx ends, then
// waits for the repairs started by hand.
func (rp *repairs) run(ctx context.Context) {
	rp.mu.Lock()
	rp.ctx = ctx
	// Blocks are queued again if partitions moved while the node was
	// down (or before its last scan finished).
	rp.lastHolders = rp.holdersFingerprint()
	if mark, err := rp.n.refs.RepairMark(holdersMark); err != nil {
		rp.log.Warn("could not read the placement of the last block scan", "err", err)
	} else if string(mark) != string(rp.lastHolders[:]) {
		rp.scanLocked()
	}
	rp.mu.Unlock()
	close(rp.ready)
	defer close(rp.done)
	var wg sync.WaitGroup
	wg.Go(func() { rp.r.Run(ctx) })
	if !rp.disableScrub {
		wg.Go(func() { rp.scrubLoop(ctx) })
	}
	wg.Wait()
	rp.wg.Wait()
}

// wait returns once run has returned (at once if it never started): the
// workers use the database, which closes after them.
func (rp *repairs) wait() {
	select {
	case <-rp.ready:
		<-rp.done
	default:
	}
}

// scrubLoop starts a scrub whenever one is due (every scrub_interval
// after the last complete one, a time kept across restarts).
func (rp *repairs) scrubLoop(ctx context.Context) {
	t := time.NewTicker(scrubCheckEvery)
	defer t.Stop()
	for {
		due, err := rp.r.ScrubDue(time.Now(), rp.scrubInterval)
		if err != nil {
			rp.log.Warn("could not tell whether a scrub is due", "err", err)
		}
		if due {
			if _, err := rp.launch(admin.RepairScrub); err != nil && !errors.Is(err, admin.ErrConflict) {
				rp.log.Warn("periodic scrub not started", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// launch starts a repair of kind in the background.
func (rp *repairs) launch(kind string) (admin.RepairOperation, error) {
	work, err := rp.work(kind)
	if err != nil {
		return admin.RepairOperation{}, err
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.ctx == nil {
		return admin.RepairOperation{}, fmt.Errorf("%w: repairs start once the node runs", admin.ErrNotReady)
	}
	if rp.ctx.Err() != nil {
		return admin.RepairOperation{}, fmt.Errorf("%w: the node is stopping", admin.ErrNotReady)
	}
	op := rp.ops[kind]
	if op.State == admin.RepairRunning {
		return *op, fmt.Errorf("%w: a %s repair is already running (since %s)", admin.ErrConflict, kind, op.StartedAt.Format(time.RFC3339))
	}
	now := time.Now().UTC()
	*op = admin.RepairOperation{RepairType: kind, State: admin.RepairRunning, StartedAt: &now}
	ctx := rp.ctx
	rp.wg.Go(func() {
		rp.log.Info("repair started", "type", kind)
		result, err := work(ctx)
		rp.mu.Lock()
		defer rp.mu.Unlock()
		end := time.Now().UTC()
		op.FinishedAt, op.Result, op.Phase = &end, result, ""
		if err != nil {
			op.State, op.Error = admin.RepairFailed, err.Error()
			rp.log.Warn("repair failed", "type", kind, "err", err)
			return
		}
		op.State = admin.RepairDone
		rp.log.Info("repair done", "type", kind, "result", result)
	})
	return *op, nil
}

// progress records the phase and progress of a running repair.
func (rp *repairs) progress(kind, phase string, done, total int64) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	op := rp.ops[kind]
	op.Phase, op.Done, op.Total = phase, done, total
}

// work returns the function that does a repair of kind.
func (rp *repairs) work(kind string) (func(ctx context.Context) (string, error), error) {
	switch kind {
	case admin.RepairBlocks:
		return rp.repairBlocks, nil
	case admin.RepairScrub:
		return rp.scrub, nil
	case admin.RepairTables:
		if rp.n.tableRepair == nil {
			return nil, fmt.Errorf("%w: table repair is not available on this node", admin.ErrNotImplemented)
		}
		return rp.repairTables, nil
	}
	return nil, fmt.Errorf("%w: unknown repair type %q", admin.ErrBadRequest, kind)
}

// repairBlocks recounts the references of every block this node knows of
// (counted, or a file on disk) from its replica of the blockrefs table,
// then queues every block for resync.
func (rp *repairs) repairBlocks(ctx context.Context) (string, error) {
	blocks, _, _ := rp.n.refs.Stats()
	var checked, fixed int64
	recount := func(h storage.Hash) error {
		for range 3 { // a hook that changes the count meanwhile: count again
			info, err := rp.n.refs.Info(h)
			if err != nil {
				return err
			}
			n, err := rp.n.model.CountBlockRefs(ctx, h)
			if err != nil {
				return err
			}
			if uint64(n) == info.Count {
				break
			}
			set, err := rp.n.refs.SetCountIf(h, info.Count, uint64(n), time.Now())
			if err != nil {
				return err
			}
			if set {
				fixed++
				rp.log.Info("block reference count fixed", "block", h, "was", info.Count, "now", n)
				break
			}
		}
		checked++
		if checked%100 == 0 {
			rp.progress(admin.RepairBlocks, "recount", checked, blocks)
		}
		return nil
	}
	if err := rp.n.refs.Walk(ctx, recount); err != nil {
		return "", fmt.Errorf("recount block references: %w", err)
	}
	// Files without a counter entry: an entry that anti-entropy or a
	// crash left uncounted.
	err := rp.n.blocks.Walk(ctx, func(h storage.Hash) error {
		info, err := rp.n.refs.Info(h)
		if err != nil || info.Known {
			return err
		}
		return recount(h)
	})
	if err != nil {
		return "", fmt.Errorf("recount block references: %w", err)
	}
	rp.progress(admin.RepairBlocks, "queue", 0, 0)
	queued, err := rp.r.ScanAll(ctx, func(q int) { rp.progress(admin.RepairBlocks, "queue", int64(q), 0) })
	if err != nil {
		return "", fmt.Errorf("queue blocks for resync: %w", err)
	}
	return fmt.Sprintf("%d blocks recounted, %d counts fixed, %d queued for resync", checked, fixed, queued), nil
}

func (rp *repairs) scrub(ctx context.Context) (string, error) {
	total, _, _ := rp.n.refs.Stats()
	rp.progress(admin.RepairScrub, "scrub", 0, total)
	res, err := rp.r.Scrub(ctx, func(res blockrepl.ScrubResult) {
		if res.Checked%100 == 0 {
			rp.progress(admin.RepairScrub, "scrub", int64(res.Checked), total)
		}
	})
	summary := fmt.Sprintf("%d blocks checked, %d corrupted, %d repaired, %d queued for resync", res.Checked, res.Corrupted, res.Repaired, res.Unrepaired)
	return summary, err
}

func (rp *repairs) repairTables(ctx context.Context) (string, error) {
	err := rp.n.tableRepair(ctx, func(done, total int) {
		rp.progress(admin.RepairTables, "sync", int64(done), int64(total))
	})
	return "every table partition compared with its other replicas", err
}

// status returns every repair's state and the block totals.
func (rp *repairs) status() (admin.RepairStatus, error) {
	st := admin.RepairStatus{NodeID: rp.n.id}
	rp.mu.Lock()
	for _, t := range repairTypes {
		st.Operations = append(st.Operations, *rp.ops[t])
	}
	rp.mu.Unlock()
	bs, err := rp.r.Stats()
	st.Blocks = admin.BlockRepairStatus{
		ResyncQueueLength: bs.QueueLength, ResyncErrors: bs.Errors,
		BlocksFetched: bs.Fetched, BlocksOffloaded: bs.Offloaded,
		ScrubChecked: bs.ScrubChecked, CorruptedFound: bs.Corrupted, CorruptedRepaired: bs.Repaired,
		GCDeleted: bs.GCDeleted, GCOrphansSwept: bs.GCOrphans,
	}
	if !bs.LastScrub.IsZero() {
		last := bs.LastScrub.UTC()
		st.Blocks.LastScrub = &last
		if !rp.disableScrub {
			next := last.Add(rp.scrubInterval)
			st.Blocks.NextScrub = &next
		}
	}
	return st, err
}

// LaunchRepair implements admin.RepairBackend.
func (b *backend) LaunchRepair(ctx context.Context, kind string) (admin.RepairOperation, error) {
	if b.n.repair == nil {
		return admin.RepairOperation{}, fmt.Errorf("%w: this node has no block store to repair", admin.ErrNotImplemented)
	}
	return b.n.repair.launch(kind)
}

// RepairStatus implements admin.RepairBackend.
func (b *backend) RepairStatus(ctx context.Context) (admin.RepairStatus, error) {
	if b.n.repair == nil {
		return admin.RepairStatus{}, fmt.Errorf("%w: this node has no block store to repair", admin.ErrNotImplemented)
	}
	return b.n.repair.status()
}

var _ admin.RepairBackend = (*backend)(nil)

// layoutChanged queues every block for resync in the background, so that
// blocks move to their new holders and off the nodes that no longer hold
// them. Changes that come while a scan runs make one more scan after it.
func (rp *repairs) layoutChanged() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.ctx == nil {
		return // not running yet: the first layout comes before any block
	}
	// Only a change of where partitions live matters (not staged
	// changes or tracker updates).
	fp := rp.holdersFingerprint()
	if fp == rp.lastHolders {
		return
	}
	rp.lastHolders = fp
	rp.scanLocked()
}

// scanLocked starts (or schedules after the running one) a scan that
// queues every block for resync, and records the placement it was for
// once done. rp.mu is held.
func (rp *repairs) scanLocked() {
	if rp.ctx.Err() != nil {
		return // stopping: no new work
	}
	if rp.scanning {
		rp.rescan = true
		return
	}
	rp.scanning = true
	ctx := rp.ctx
	rp.wg.Go(func() {
		for {
			rp.mu.Lock()
			fp := rp.lastHolders
			rp.mu.Unlock()
			n, err := rp.r.ScanAll(ctx, nil)
			if err != nil && ctx.Err() == nil {
				rp.log.Warn("queueing blocks after a layout change failed", "err", err)
			} else if err == nil {
				rp.log.Info("layout changed: blocks queued for resync", "count", n)
				if err := rp.n.refs.SetRepairMark(holdersMark, fp[:]); err != nil {
					rp.log.Warn("could not record the placement of the block scan", "err", err)
				}
			}
			rp.mu.Lock()
			if !rp.rescan || ctx.Err() != nil {
				rp.scanning = false
				rp.mu.Unlock()
				return
			}
			rp.rescan = false
			rp.mu.Unlock()
		}
	})
}

// holdersFingerprint sums up the holders of every partition.
func (rp *repairs) holdersFingerprint() [sha256.Size]byte {
	h := sha256.New()
	for p := range 256 {
		h.Write([]byte{byte(p)})
		for _, id := range rp.n.cluster.holders(uint8(p)) {
			h.Write(id[:])
		}
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
