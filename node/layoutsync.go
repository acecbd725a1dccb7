package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/cluster/membership"
)

// RPC methods that spread the layout.
const (
	rpcLayoutGet  = "cluster.layout.get"  // body: none; answer: the layout
	rpcLayoutPush = "cluster.layout.push" // body: a layout to merge
)

// layoutMeta is what a node advertises of its layout in its gossip
// metadata: version (8 bytes) and digest (16 bytes), so peers know when to
// fetch it.
func layoutMeta(l *cluster.Layout) []byte {
	d := l.Digest()
	b := make([]byte, 8, 8+len(d))
	binary.BigEndian.PutUint64(b, l.Version())
	return append(b, d[:]...)
}

// layoutSyncTimeout bounds one fetch or push of the layout.
const layoutSyncTimeout = 10 * time.Second

// layoutSyncEvery is how often a node compares its layout with every
// peer's advertised digest, besides doing it on every membership event.
const layoutSyncEvery = 15 * time.Second

// registerLayoutRPC serves the layout to peers and merges what they push.
func (c *clusterNode) registerLayoutRPC() {
	c.rpcSrv.Handle(rpcLayoutGet, func(ctx context.Context, _ cluster.NodeID, _ []byte) ([]byte, error) {
		return c.layout.Get().MarshalBinary()
	})
	c.rpcSrv.Handle(rpcLayoutPush, func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
		l := new(cluster.Layout)
		if err := l.UnmarshalBinary(body); err != nil {
			return nil, fmt.Errorf("layout from %s: %w", from.Short(), err)
		}
		if _, err := c.layout.Merge(l); err != nil {
			return nil, err
		}
		return nil, nil
	})
}

// layoutChanged is called after every change of the local layout: it
// re-advertises the digest and pushes the layout to every live peer, so a
// change made on one node is everywhere within a round trip.
func (c *clusterNode) layoutChanged(l *cluster.Layout) {
	c.log.Info("cluster layout changed", "version", l.Version(), "digest", l.Digest().String(), "staged_changes", l.HasStagedChanges())
	c.onLayout()
	c.kickTransitions()
	ml := c.members.Load()
	if ml == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), layoutSyncTimeout)
	go func() {
		defer cancel()
		if err := ml.UpdateMeta(ctx); err != nil {
			c.log.Debug("re-advertising the layout digest failed", "err", err)
		}
		b, err := l.MarshalBinary()
		if err != nil {
			return
		}
		for _, m := range ml.Members() {
			if !m.Alive {
				continue
			}
			if _, err := c.peers.Call(ctx, m.ID, rpcLayoutPush, b); err != nil {
				c.log.Debug("pushing the layout failed; the peer will fetch it", "node", m.ID.Short(), "err", err)
			}
		}
	}()
}

// syncLayouts fetches the layout of every live peer that advertises a
// different one, on membership events and periodically, until ctx ends.
func (c *clusterNode) syncLayouts(ctx context.Context, ml *membership.Membership) {
	events := ml.Subscribe()
	tick := time.NewTicker(layoutSyncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Kind != membership.EventLeave {
				c.fetchLayoutIfDifferent(ctx, ev.Member)
			}
			if ev.Kind == membership.EventJoin {
				for _, f := range c.onPeerUp {
					f()
				}
			}
			c.onMembers()
			c.kickTransitions()
		case <-tick.C:
			for _, m := range ml.Members() {
				if m.Alive {
					c.fetchLayoutIfDifferent(ctx, m)
				}
			}
		}
	}
}

func (c *clusterNode) fetchLayoutIfDifferent(ctx context.Context, m membership.Member) {
	if string(m.Meta) == string(c.layout.Meta()) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, layoutSyncTimeout)
	defer cancel()
	b, err := c.peers.Call(ctx, m.ID, rpcLayoutGet, nil)
	if err != nil {
		c.log.Debug("fetching a peer's layout failed; will retry", "node", m.ID.Short(), "err", err)
		return
	}
	l := new(cluster.Layout)
	if err := l.UnmarshalBinary(b); err != nil {
		c.log.Warn("a peer sent a layout that does not decode", "node", m.ID.Short(), "err", err)
		return
	}
	if _, err := c.layout.Merge(l); err != nil {
		c.log.Warn("merging a peer's layout failed", "node", m.ID.Short(), "err", err)
	}
}
