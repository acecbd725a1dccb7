package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/garage-web/garage-web/admin"
)

// layoutWaitPoll is how often `layout apply --wait` asks how far the
// layout change is.
const layoutWaitPoll = time.Second

// layoutProgress sums up a layout change from the layout history: how
// many nodes acknowledged the current version, finished syncing its data,
// and read at it.
type layoutProgress struct {
	Version                uint64
	Nodes                  int
	Acked, Synced, Reading int
	Done                   bool
}

func progressOf(h admin.LayoutHistory) layoutProgress {
	p := layoutProgress{Version: h.CurrentVersion}
	for _, t := range h.UpdateTrackers {
		p.Nodes++
		if t.Ack >= h.CurrentVersion {
			p.Acked++
		}
		if t.Sync >= h.CurrentVersion {
			p.Synced++
		}
		if t.SyncAck >= h.CurrentVersion {
			p.Reading++
		}
	}
	p.Done = len(h.UpdateTrackers) == 0 || p.Reading == p.Nodes
	for _, v := range h.Versions {
		if v.Version != h.CurrentVersion && v.Status == admin.LayoutVersionDraining {
			p.Done = false
		}
	}
	return p
}

func (p layoutProgress) String() string {
	if p.Done {
		return fmt.Sprintf("layout version %d: done, every node reads and writes at it", p.Version)
	}
	return fmt.Sprintf("layout version %d: %d/%d nodes acknowledged, %d/%d synced their new partitions, %d/%d read at it",
		p.Version, p.Acked, p.Nodes, p.Synced, p.Nodes, p.Reading, p.Nodes)
}

// waitLayout polls the layout history until the change to the current
// version is done (or ctx ends), writing a line to w each time the
// progress changes.
func waitLayout(ctx context.Context, cl *admin.Client, w io.Writer) (layoutProgress, error) {
	var last layoutProgress
	first := true
	for {
		qctx, cancel := context.WithTimeout(ctx, clientTimeout)
		h, err := cl.LayoutHistory(qctx)
		cancel()
		if err != nil {
			return last, fmt.Errorf("following the layout change: %w", err)
		}
		p := progressOf(h)
		if first || p != last {
			fmt.Fprintln(w, p)
		}
		first, last = false, p
		if p.Done {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("layout change not finished (%s): %w; it goes on in the background, 'garage-web layout history' shows it", last, ctx.Err())
		case <-time.After(layoutWaitPoll):
		}
	}
}
