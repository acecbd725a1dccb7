package blockrepl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/storage"
)

// ScrubResult is what one scrub found.
type ScrubResult struct {
	Checked   int `json:"checked"`
	Corrupted int `json:"corrupted"`
	Repaired  int `json:"repaired"`
	// Unrepaired corrupted blocks were moved aside and queued for resync.
	Unrepaired int `json:"unrepaired"`
}

// Scrub re-reads every local block from disk at the scrub's rate, checks
// its hash and repairs a corrupt one from another holder (fetched,
// verified, written in place of the file moved aside). A block no other
// holder could supply is queued for resync, which keeps trying. progress,
// if set, is called after each block. A complete scrub records its time
// (LastScrub).
func (r *Resyncer) Scrub(ctx context.Context, progress func(ScrubResult)) (ScrubResult, error) {
	var res ScrubResult
	err := r.local.Walk(ctx, func(h storage.Hash) error {
		start := r.cfg.Now()
		if err := r.scrubLim.wait(ctx, r.local.FileSize(h)); err != nil {
			return err
		}
		_, err := r.local.Verify(h)
		res.Checked++
		r.m.scrubChecked.Inc()
		switch {
		case errors.Is(err, storage.ErrCorrupt):
			res.Corrupted++
			r.m.scrubCorrupt.Inc()
			if err := r.repair(ctx, h); err != nil {
				res.Unrepaired++
				r.log.Warn("scrub: corrupt block not repaired yet; queued for resync", "block", h, "err", err)
			} else {
				res.Repaired++
				r.m.scrubRepaired.Inc()
				r.log.Info("scrub: repaired corrupt block from another holder", "block", h)
			}
		case errors.Is(err, storage.ErrBlockNotFound):
			// Deleted while walking.
		case err != nil:
			return fmt.Errorf("scrub block %s: %w", h, err)
		}
		if progress != nil {
			progress(res)
		}
		return tranquil(ctx, r.cfg.Tranquility, start, r.cfg.Now, r.cfg.Sleep)
	})
	if err != nil {
		return res, fmt.Errorf("scrub: %w", err)
	}
	now := r.cfg.Now()
	if err := r.cfg.Refs.SetLastScrub(now); err != nil {
		return res, fmt.Errorf("scrub: record its time: %w", err)
	}
	r.m.setLastScrub(now)
	return res, nil
}

// repair replaces a corrupt local copy by a good one from another holder.
// The corrupt file is moved aside first, so a read never meets it again;
// if no holder supplies the block it is queued for resync.
func (r *Resyncer) repair(ctx context.Context, h storage.Hash) error {
	if err := r.local.Quarantine(h); err != nil {
		return err
	}
	err := r.fetch(ctx, h, r.scrubLim)
	if err != nil && ctx.Err() == nil {
		if qerr := r.Enqueue(h); qerr != nil {
			return errors.Join(err, qerr)
		}
	}
	return err
}

// ScrubDue reports whether a periodic scrub is due at now: every
// interval after the last complete one. A node that never scrubbed counts
// from first, the time it first asked (recorded), so a restart does not
// start a scrub again and again.
func (r *Resyncer) ScrubDue(now time.Time, interval time.Duration) (bool, error) {
	last, err := r.cfg.Refs.LastScrub()
	if err != nil {
		return false, err
	}
	if last.IsZero() {
		return false, r.cfg.Refs.SetLastScrub(now)
	}
	r.m.setLastScrub(last)
	return now.Sub(last) >= interval, nil
}
