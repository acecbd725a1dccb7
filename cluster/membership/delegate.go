package membership

import (
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/hashicorp/memberlist"
)

// delegate answers memberlist for our metadata; it carries no user
// messages or state (memberlist carries membership only).
type delegate struct{ m *Membership }

var _ memberlist.Delegate = delegate{}

// NodeMeta implements memberlist.Delegate.
func (d delegate) NodeMeta(limit int) []byte {
	b, err := d.m.localMeta().encode()
	if err != nil {
		d.m.log.Warn("membership: application metadata not advertised", "err", err)
		meta := d.m.localMeta()
		meta.App = nil
		b, _ = meta.encode() // fits: lengths checked by Config.validate
	}
	if len(b) > limit {
		d.m.log.Warn("membership: node metadata over memberlist's limit, not advertised", "len", len(b), "limit", limit)
		return nil
	}
	return b
}

// NotifyMsg implements memberlist.Delegate; no user messages are sent.
func (delegate) NotifyMsg([]byte) {}

// GetBroadcasts implements memberlist.Delegate.
func (delegate) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState implements memberlist.Delegate.
func (delegate) LocalState(bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (delegate) MergeRemoteState([]byte, bool) {}

// events receives memberlist's join, leave and update notifications. It
// runs under memberlist's node lock: it takes only m.mu and never calls
// memberlist.
type events struct{ m *Membership }

var _ memberlist.EventDelegate = events{}

// NotifyJoin implements memberlist.EventDelegate.
func (e events) NotifyJoin(n *memberlist.Node) { e.m.observe(n, EventJoin) }

// NotifyLeave implements memberlist.EventDelegate.
func (e events) NotifyLeave(n *memberlist.Node) { e.m.observe(n, EventLeave) }

// NotifyUpdate implements memberlist.EventDelegate.
func (e events) NotifyUpdate(n *memberlist.Node) { e.m.observe(n, EventUpdate) }

// observe records what memberlist says of node n and queues the event.
func (m *Membership) observe(n *memberlist.Node, kind EventKind) {
	id, err := cluster.ParseNodeID(n.Name)
	if err != nil {
		m.log.Warn("membership: member with a name that is not a node id, ignored", "name", n.Name, "addr", n.Address())
		return
	}
	if id == m.cfg.ID {
		return
	}
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		m.log.Warn("membership: member metadata unreadable", "node", id.Short(), "err", err)
	} else if meta.ID != id {
		m.log.Warn("membership: member metadata names another node, ignored", "node", id.Short(), "meta_id", meta.ID.Short())
		meta = nodeMeta{}
	}
	mem := Member{
		ID:       id,
		Addr:     meta.Addr,
		Zone:     meta.Zone,
		Meta:     meta.App,
		Alive:    kind != EventLeave,
		LastSeen: time.Now(),
	}
	if mem.Addr == "" {
		mem.Addr = n.Address()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.members[id] = &mem
	m.log.Debug("membership: "+kind.String(), "node", id.Short(), "addr", mem.Addr, "zone", mem.Zone, "state", stateName(n.State))
	m.emitLocked(Event{Kind: kind, Member: mem.clone()})
}

func stateName(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return "alive"
	case memberlist.StateSuspect:
		return "suspect"
	case memberlist.StateDead:
		return "dead"
	case memberlist.StateLeft:
		return "left"
	}
	return "unknown"
}
