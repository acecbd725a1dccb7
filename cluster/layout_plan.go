package cluster

import (
	"fmt"
	"slices"
	"time"
)

// Plan is what applying the staged changes does (Preview) or did (Apply).
type Plan struct {
	Version           uint64 // the version the plan produces
	ReplicationFactor int
	Roles             map[NodeID]Role // every node's role in the new version
	Assignment        *Assignment
	// Moves is the number of partition replicas that change node: each is
	// one copy of one partition that a node must fetch. 0 on a first apply.
	Moves int
	// ZoneSpread is the most replicas of one partition that one zone holds
	// (1 when there are at least ReplicationFactor zones).
	ZoneSpread int
	// PartitionSize is the bytes one partition can hold: the largest size
	// for which every node's partitions fit in its capacity.
	PartitionSize uint64
	// UsableCapacity is the data the cluster can hold (before replication):
	// NumPartitions × PartitionSize.
	UsableCapacity uint64
	Nodes          []NodePlan     // every node of the new version, sorted by id
	Changes        []StagedChange // the staged role changes it applies
}

// NodePlan is one node's part of a Plan.
type NodePlan struct {
	ID             NodeID
	Role           Role
	Partitions     int    // partitions held in the new version
	Previous       int    // partitions held in the current version
	UsableCapacity uint64 // Partitions × PartitionSize, ≤ Role.Capacity
}

// Preview computes what Apply would do with the staged changes, without
// changing the layout. The error says why an apply would fail, e.g.
// "3 storage nodes needed for replication factor 3, 2 assigned"
// (ErrNotEnoughNodes).
func (l *Layout) Preview() (Plan, error) {
	roles, rf := l.proposed()
	c, err := computeAssignment(roles, rf, l.applied.assignment)
	if err != nil {
		return Plan{}, fmt.Errorf("compute layout version %d: %w", l.applied.version+1, err)
	}
	p := Plan{
		Version:           l.applied.version + 1,
		ReplicationFactor: rf,
		Roles:             make(map[NodeID]Role, len(roles)),
		Assignment:        c.assignment,
		Moves:             c.moves,
		ZoneSpread:        c.zoneCap,
		Changes:           l.Staged(),
	}
	var prev map[NodeID]int
	if l.applied.assignment != nil {
		prev = l.applied.assignment.Counts()
	}
	size := uint64(0)
	for id, r := range roles {
		p.Roles[id] = r.clone()
		if t := c.targets[id]; t > 0 {
			s := r.Capacity / uint64(t)
			if size == 0 || s < size {
				size = s
			}
		}
	}
	p.PartitionSize = size
	p.UsableCapacity = size * NumPartitions
	for id, r := range roles {
		t := c.targets[id]
		p.Nodes = append(p.Nodes, NodePlan{ID: id, Role: r.clone(), Partitions: t, Previous: prev[id], UsableCapacity: uint64(t) * size})
	}
	slices.SortFunc(p.Nodes, func(a, b NodePlan) int { return compareNodeID(a.ID, b.ID) })
	return p, nil
}

// Apply applies the staged changes as the given version, which must be
// Version()+1 (as `layout apply --version N`: the operator confirms the
// version they previewed), and records it in the history at time now. On
// error the layout is unchanged.
func (l *Layout) Apply(version uint64, now time.Time) (Plan, error) {
	if want := l.applied.version + 1; version != want {
		return Plan{}, fmt.Errorf("%w: apply version %d, but the current version is %d: apply version %d",
			ErrVersionMismatch, version, l.applied.version, want)
	}
	l.init()
	p, err := l.Preview()
	if err != nil {
		return Plan{}, err
	}
	live := l.Staged()
	liveRF, hasRF := l.liveRF()
	joined := Trackers{Ack: l.AckMin(), Sync: l.SyncMin(), SyncAck: l.SyncAckMin()}
	a := &l.applied
	a.version = p.Version
	a.rf = p.ReplicationFactor
	a.roles = p.Roles
	a.assignment = p.Assignment
	a.history = append(slices.Clone(a.history), HistoryEntry{
		Version:           p.Version,
		AppliedAt:         now.UTC().Truncate(time.Millisecond),
		ReplicationFactor: p.ReplicationFactor,
		StorageNodes:      p.Assignment.Nodes(),
		Gateways:          l.Gateways(),
		Moves:             p.Moves,
		Assignment:        p.Assignment,
	})
	// A node new to the layout starts where the others stood: it held no
	// partition and wrote nothing under the versions before it.
	for id := range a.roles {
		if _, ok := l.trackers[id]; !ok {
			l.AdvanceTrackers(id, joined)
		}
	}
	pruneHistory(a.history, l.SyncAckMin())
	l.include(live, liveRF, hasRF)
	a.sealHash()
	// The returned plan must not alias the layout's roles.
	p.Roles = l.Roles()
	return p, nil
}

// pruneHistory drops the assignments of the entries older than the newest
// HistoryAssignmentsKept that no node may still use (below floor, the
// lowest version a node still reads at).
func pruneHistory(h []HistoryEntry, floor uint64) {
	for i := range h {
		if !keepAssignment(h, i, floor) {
			h[i].Assignment = nil
		}
	}
}
