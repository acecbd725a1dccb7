package blockrepl

import (
	"context"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// MethodRefs asks a holder whether it still references a block: its own
// reference count, or a file written recently (an upload in flight).
const MethodRefs = "block.refs"

// DefaultOrphanDelay is how old a block file without any reference entry
// must be before the sweep deletes it: long enough for any upload that
// wrote it to have recorded its references or died.
const DefaultOrphanDelay = 24 * time.Hour

// Flags of a block.refs answer.
const (
	refsReferenced byte = 1 << 0 // the holder's count is above zero
	refsRecent     byte = 1 << 1 // the holder's file was written within its GC delay
)

// RegisterRefs serves block.refs on r: this node's reference count of a
// block and whether its file was written within recent. The collector of
// every other holder asks it before deleting a block.
func RegisterRefs(r Registrar, refs *storage.RefCounts, local *storage.BlockStore, recent time.Duration) {
	r.Handle(MethodRefs, func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
		h, _, err := decodeRequest(body)
		if err != nil {
			return encodeResponse(statusBadRequest, []byte(err.Error())), nil
		}
		info, err := refs.Info(h)
		if err != nil {
			return encodeResponse(statusError, []byte(err.Error())), nil
		}
		var flags byte
		if info.Count > 0 {
			flags |= refsReferenced
		}
		if local != nil {
			if mt, ok := local.ModTime(h); ok && time.Since(mt) < recent {
				flags |= refsRecent
			}
		}
		return encodeResponse(statusOK, []byte{flags}), nil
	})
}

// referencedElsewhere reports whether another holder of h's partition
// still references h or may be uploading it. A holder that is down, does
// not answer or answers an error counts as referencing it: a block is
// deleted only when every holder agreed. On a node that no longer holds
// the partition, it reports whether some holder still lacks a copy.
func (r *Resyncer) referencedElsewhere(ctx context.Context, h storage.Hash) (bool, error) {
	if holders := r.otherHolders(h); len(holders) > 0 && !r.cfg.Holds(Partition(h)) {
		// Not a holder any more: what the holders reference is theirs to
		// keep; this copy may go once each of them has one.
		for _, n := range holders {
			has, err := r.cfg.Store.HasOn(ctx, n, h)
			if err != nil || !has {
				return true, nil
			}
		}
		return false, nil
	}
	for _, n := range r.otherHolders(h) {
		if !r.cfg.Store.alive(n) {
			return true, nil
		}
		cctx, cancel := context.WithTimeout(ctx, r.cfg.Store.cfg.ReadTimeout)
		st, body, err := r.cfg.Store.call(cctx, n, MethodRefs, h, nil)
		cancel()
		if err != nil {
			r.log.Debug("block GC: holder not asked, keeping the block", "block", h, "node", n.Short(), "err", err)
			return true, nil
		}
		if st != statusOK || len(body) < 1 {
			return true, nil
		}
		if body[0] != 0 {
			return true, nil
		}
	}
	return false, nil
}

// keepRecheck returns the collector's keep function at now: a block that
// another holder kept is not asked about again for GCDelay (at least a
// minute), so a block kept for long costs no RPCs every minute.
func (r *Resyncer) keepRecheck(now time.Time) storage.KeepFunc {
	recheck := max(r.cfg.GCDelay, time.Minute)
	r.gcMu.Lock()
	for h, until := range r.gcKept {
		if !now.Before(until) {
			delete(r.gcKept, h) // asked again if still a candidate
		}
	}
	r.gcMu.Unlock()
	return func(ctx context.Context, h storage.Hash) (bool, error) {
		r.gcMu.Lock()
		until, ok := r.gcKept[h]
		if ok && now.Before(until) {
			r.gcMu.Unlock()
			return true, nil
		}
		delete(r.gcKept, h)
		r.gcMu.Unlock()
		keep, err := r.referencedElsewhere(ctx, h)
		if keep && err == nil {
			r.gcMu.Lock()
			r.gcKept[h] = now.Add(recheck)
			r.gcMu.Unlock()
		}
		return keep, err
	}
}

// GCResult is what one collection did.
type GCResult struct {
	Deleted int `json:"deleted"`
	Orphans int `json:"orphans"`
}

// Collect deletes the blocks whose local count has been zero for GCDelay,
// whose files were not written in that time, and that no other holder of
// their partition references; then the block files that have no count
// entry at all and are older than OrphanDelay, with the same check.
func (r *Resyncer) Collect(ctx context.Context) (GCResult, error) {
	var res GCResult
	now := r.cfg.Now()
	var err error
	res.Deleted, err = r.cfg.Refs.CollectWith(ctx, now, r.cfg.GCDelay, r.keepRecheck(now))
	r.m.gcDeleted.Add(float64(res.Deleted))
	if err != nil {
		return res, fmt.Errorf("block GC: %w", err)
	}
	// The sweep walks every file on disk: a few times per OrphanDelay,
	// at most hourly.
	every := min(r.cfg.OrphanDelay/4, time.Hour)
	if now.Sub(time.UnixMilli(r.lastSweep.Load())) < every {
		return res, nil
	}
	r.lastSweep.Store(now.UnixMilli())
	res.Orphans, err = r.cfg.Refs.SweepOrphans(ctx, now, r.cfg.OrphanDelay, r.keepRecheck(now))
	r.m.gcOrphans.Add(float64(res.Orphans))
	if err != nil {
		return res, fmt.Errorf("block GC: sweep orphans: %w", err)
	}
	return res, nil
}
