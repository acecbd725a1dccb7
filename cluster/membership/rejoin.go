package membership

import (
	"context"
	"time"
)

// Backoff between rejoin attempts.
const (
	rejoinFirstDelay = time.Second
	rejoinMaxDelay   = time.Minute
)

// RejoinKnown joins the peers remembered in Dir/peers from an earlier run.
// It tries them all once and returns how many answered. If none did, it
// keeps trying in the background, with backoff from 1 s to 1 min, until
// one answers, another node joins this one, ctx is done, Leave or
// Shutdown; the error it returns then (wrapping ErrNoPeerAnswered) says
// only that the first round failed. With no remembered peers it returns
// 0, nil.
func (m *Membership) RejoinKnown(ctx context.Context) (int, error) {
	m.mu.Lock()
	peers := make([]string, 0, len(m.known))
	for _, p := range m.known {
		peers = append(peers, Peer{ID: p.ID, Addr: p.Addr}.String())
	}
	m.mu.Unlock()
	if len(peers) == 0 {
		return 0, nil
	}
	n, err := m.Join(ctx, peers)
	if n > 0 {
		if err != nil {
			m.log.Info("membership: some remembered peers did not answer", "joined", n, "err", err)
		}
		return n, nil
	}
	m.log.Warn("membership: no remembered peer answered, retrying in the background", "peers", len(peers), "err", err)
	m.wg.Add(1)
	go m.rejoinLoop(ctx, peers)
	return 0, err
}

func (m *Membership) rejoinLoop(ctx context.Context, peers []string) {
	defer m.wg.Done()
	delay := rejoinFirstDelay
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.done:
			return
		case <-t.C:
		}
		if m.stopRejoin() {
			return
		}
		n, err := m.Join(ctx, peers)
		if n > 0 {
			m.log.Info("membership: rejoined", "peers", n)
			return
		}
		delay = min(2*delay, rejoinMaxDelay)
		m.log.Debug("membership: rejoin failed", "next_in", delay, "err", err)
		t.Reset(delay)
	}
}

// stopRejoin reports whether rejoining is no longer needed: shut down,
// left, or another node is alive (it joined us, or a bootstrap peer did).
func (m *Membership) stopRejoin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.left {
		return true
	}
	for _, mem := range m.members {
		if mem.Alive {
			return true
		}
	}
	return false
}
