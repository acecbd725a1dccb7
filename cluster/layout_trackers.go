package cluster

// Trackers are one node's progress through the applied layout versions.
// While a layout change moves data, the cluster uses several versions at
// once: writes reach a quorum of the replicas of every version still in
// use, reads use the oldest version whose replicas may not have caught up
// yet, until every node has moved on. The trackers say when it has:
//
//   - Ack: the node has adopted this version and every write it started
//     under an older one is finished. A node that has not acked a version
//     may still be writing to the older replica sets only.
//   - Sync: once every node acked the version, the node holds everything
//     of the partitions this version gives it (it synced them from the
//     replicas of the older versions).
//   - SyncAck: the node saw every storage node's Sync reach the version,
//     and from then on reads at it. Older versions stay in the writes'
//     replica sets until every node's SyncAck passed them.
//
// This is Garage's layout history with per-node trackers. Each tracker
// only grows; copies merge by maximum, so trackers travel with the layout
// and need no coordination.
type Trackers struct {
	Ack, Sync, SyncAck uint64
}

// max returns the field-wise maximum of t and o.
func (t Trackers) max(o Trackers) Trackers {
	return Trackers{Ack: max(t.Ack, o.Ack), Sync: max(t.Sync, o.Sync), SyncAck: max(t.SyncAck, o.SyncAck)}
}

// Trackers returns the trackers of node id (zero if it never reported).
func (l *Layout) Trackers(id NodeID) Trackers { return l.trackers[id] }

// AdvanceTrackers raises the trackers of id to at least t, field by field
// (never above the applied version, never lowering one). It reports
// whether anything changed.
func (l *Layout) AdvanceTrackers(id NodeID, t Trackers) bool {
	v := l.applied.version
	t = Trackers{Ack: min(t.Ack, v), Sync: min(t.Sync, v), SyncAck: min(t.SyncAck, v)}
	cur := l.trackers[id]
	next := cur.max(t)
	if next == cur {
		return false
	}
	if l.trackers == nil {
		l.trackers = map[NodeID]Trackers{}
	}
	l.trackers[id] = next
	return true
}

// trackedNodes are the nodes whose trackers the transition waits for: every
// node with a role (storage or gateway) in the applied version. A node the
// operator removed no longer counts, so a dead node that is removed or
// replaced does not hold up the change.
func (l *Layout) trackedNodes() []NodeID {
	return l.nodesWhere(func(Role) bool { return true })
}

// minTracker returns the minimum of field f over nodes (the applied
// version when nodes is empty).
func (l *Layout) minTracker(nodes []NodeID, f func(Trackers) uint64) uint64 {
	m := l.applied.version
	for _, id := range nodes {
		m = min(m, f(l.trackers[id]))
	}
	return m
}

// AckMin is the lowest Ack among the nodes of the applied version: every
// one of them has stopped writing under versions older than it.
func (l *Layout) AckMin() uint64 {
	return l.minTracker(l.trackedNodes(), func(t Trackers) uint64 { return t.Ack })
}

// SyncMin is the lowest Sync among the storage nodes of the applied
// version: up to it, every replica holds what it should.
func (l *Layout) SyncMin() uint64 {
	return l.minTracker(l.StorageNodes(), func(t Trackers) uint64 { return t.Sync })
}

// SyncAckMin is the lowest SyncAck among the nodes of the applied
// version: no node reads at a version older than it any more.
func (l *Layout) SyncAckMin() uint64 {
	return l.minTracker(l.trackedNodes(), func(t Trackers) uint64 { return t.SyncAck })
}

// oldestKept is the oldest applied version whose assignment the history
// still has (0 before the first apply).
func (l *Layout) oldestKept() uint64 {
	for _, h := range l.applied.history {
		if h.Assignment != nil {
			return h.Version
		}
	}
	return l.applied.version
}

// clampKept brings v into the versions whose assignment is known.
func (l *Layout) clampKept(v uint64) uint64 {
	return min(max(v, l.oldestKept()), l.applied.version)
}

// ReadVersion is the layout version node self reads at: its own SyncAck,
// kept within the versions the history holds. Before its first SyncAck a
// node reads at the oldest version it knows.
func (l *Layout) ReadVersion(self NodeID) uint64 {
	return l.clampKept(l.trackers[self].SyncAck)
}

// WriteVersions returns the versions whose replica sets a write must reach,
// oldest first: every version from the lowest one any node may still read
// at (SyncAckMin, or self's own read version if lower) to the applied one.
// Outside a layout change it is just the applied version.
func (l *Layout) WriteVersions(self NodeID) []uint64 {
	if l.applied.version == 0 {
		return nil
	}
	from := l.clampKept(min(l.SyncAckMin(), l.ReadVersion(self)))
	var out []uint64
	for _, h := range l.applied.history {
		if h.Version >= from && h.Assignment != nil {
			out = append(out, h.Version)
		}
	}
	if len(out) == 0 || out[len(out)-1] != l.applied.version {
		out = append(out, l.applied.version)
	}
	return out
}

// InTransition reports whether several versions are in use (a layout
// change is still moving data) as node self sees it.
func (l *Layout) InTransition(self NodeID) bool { return len(l.WriteVersions(self)) > 1 }

// VersionReplicationFactor returns the replication factor of applied
// version v, and false if the history no longer has it.
func (l *Layout) VersionReplicationFactor(v uint64) (int, bool) {
	if v == l.applied.version && v != 0 {
		return l.ReplicationFactor(), true
	}
	for _, h := range l.applied.history {
		if h.Version == v {
			return h.ReplicationFactor, true
		}
	}
	return 0, false
}

// mergeTrackers merges from's trackers into dst by maximum.
func mergeTrackers(dst, from *Layout) {
	if len(from.trackers) == 0 {
		return
	}
	if dst.trackers == nil {
		dst.trackers = map[NodeID]Trackers{}
	}
	for id, t := range from.trackers {
		dst.trackers[id] = dst.trackers[id].max(t)
	}
}

// trackerWire is one node's trackers in the encoding.
type trackerWire struct {
	_                  struct{} `cbor:",toarray"`
	ID                 idWire
	Ack, Sync, SyncAck uint64
}

func trackersWire(m map[NodeID]Trackers) []trackerWire {
	ids := sortedKeys(m)
	out := make([]trackerWire, 0, len(ids))
	for _, id := range ids {
		t := m[id]
		if t == (Trackers{}) {
			continue
		}
		out = append(out, trackerWire{ID: idWire(id), Ack: t.Ack, Sync: t.Sync, SyncAck: t.SyncAck})
	}
	return out
}

func fromTrackersWire(w []trackerWire) map[NodeID]Trackers {
	out := make(map[NodeID]Trackers, len(w))
	for _, t := range w {
		out[NodeID(t.ID)] = out[NodeID(t.ID)].max(Trackers{Ack: t.Ack, Sync: t.Sync, SyncAck: t.SyncAck})
	}
	return out
}

// keepAssignment reports whether history entry h must keep its assignment
// after an apply: it is among the newest HistoryAssignmentsKept, or some
// node may still read or write at it (at or after SyncAckMin).
func keepAssignment(h []HistoryEntry, i int, floor uint64) bool {
	return i >= len(h)-HistoryAssignmentsKept || h[i].Version >= floor
}
