package membership

import (
	"context"
)

// RejoinKnown joins the peers remembered in Dir/peers from an earlier run.
// It tries them all once and returns how many answered. If none did, the
// reconnect loop (reconnect.go) keeps trying them, with every other member
// not seen alive, every Config.ReconnectInterval until Shutdown; the error
// returned then (wrapping ErrNoPeerAnswered) says only that the first
// round failed. With no remembered peers it returns 0, nil.
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
	return 0, err
}
