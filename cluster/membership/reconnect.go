package membership

import (
	"context"
	"time"
)

// reconnectTimeout bounds one round of reconnection attempts.
const reconnectTimeout = 5 * time.Second

// reconnectLoop joins again, every Config.ReconnectInterval, the members
// not alive (failed, or left: a node that left and comes back rejoins by
// itself, but one that left and whose peers file is gone would not). memberlist probes only the nodes it thinks alive and
// gossips to a dead one for GossipToTheDeadTime only, then forgets it:
// without this loop, two sides of a partition that outlasted that time
// would never talk again once it heals (each side alive, each thinking
// the other dead) until a node restarts.
func (m *Membership) reconnectLoop() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.reconnectInterval())
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		m.reconnect()
	}
}

// reconnect tries once to join every failed member.
func (m *Membership) reconnect() {
	peers := m.failedPeers()
	if len(peers) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), reconnectTimeout)
	defer cancel()
	n, err := m.Join(ctx, peers)
	if n > 0 {
		m.log.Info("membership: reconnected to failed members", "answered", n, "tried", len(peers))
	}
	if err != nil {
		m.log.Debug("membership: reconnect attempt", "tried", len(peers), "answered", n, "err", err)
	}
}

// failedPeers returns "ID@addr" of the members that are not alive; none
// once this node left or shut down.
func (m *Membership) failedPeers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.left {
		return nil
	}
	var peers []string
	for _, mem := range m.members {
		if mem.Alive || mem.Addr == "" {
			continue
		}
		peers = append(peers, Peer{ID: mem.ID, Addr: mem.Addr}.String())
	}
	return peers
}
