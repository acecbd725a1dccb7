package cluster

import (
	"fmt"
	"slices"
)

// Staged changes.
//
// Each staged change is a last-writer-wins register: one per node id (a
// role, or the node's removal) and one for the replication factor. Their
// timestamps are Lamport clock values: a new staging is stamped one above
// every timestamp this copy of the layout has seen, so a change made after
// seeing another one (through Merge) always wins over it, and concurrent
// stagings on different nodes are ordered deterministically. Apply and
// Revert record the timestamps they consumed in a watermark (settled), so
// the changes they dropped do not come back from a copy that had not heard
// of them yet.

type stagedRole struct {
	ts     uint64
	remove bool
	role   Role // when !remove
}

type stagedRF struct {
	ts uint64
	rf int
}

// StagedChange is one staged change of a node's role.
type StagedChange struct {
	Node   NodeID
	Remove bool // the node leaves the layout
	Role   Role // the new role, when !Remove
}

// Stage stages role r for node id (a new node or a changed role).
func (l *Layout) Stage(id NodeID, r Role) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("stage role of node %s: %w", id.Short(), err)
	}
	l.staged[id] = stagedRole{ts: l.clock() + 1, role: r.clone()}
	return nil
}

// StageRemove stages the removal of node id from the layout. The node must
// have a role, applied or staged.
func (l *Layout) StageRemove(id NodeID) error {
	_, applied := l.applied.roles[id]
	s, staged := l.staged[id]
	if !applied && (!staged || s.remove) {
		return fmt.Errorf("remove node %s: %w", id.Short(), ErrUnknownNode)
	}
	l.staged[id] = stagedRole{ts: l.clock() + 1, remove: true}
	return nil
}

// StageReplicationFactor stages a new replication factor.
func (l *Layout) StageReplicationFactor(n int) error {
	if err := checkRF(n); err != nil {
		return fmt.Errorf("stage replication factor: %w", err)
	}
	l.stagedRF = &stagedRF{ts: l.clock() + 1, rf: n}
	return nil
}

// Revert drops every staged change. The drop spreads with Merge like the
// changes did.
func (l *Layout) Revert() { l.settle() }

// Staged returns the staged role changes, sorted by node id.
func (l *Layout) Staged() []StagedChange {
	out := make([]StagedChange, 0, len(l.staged))
	for id, s := range l.staged {
		out = append(out, StagedChange{Node: id, Remove: s.remove, Role: s.role.clone()})
	}
	slices.SortFunc(out, func(a, b StagedChange) int { return compareNodeID(a.Node, b.Node) })
	return out
}

// StagedReplicationFactor returns the staged replication factor, if any.
func (l *Layout) StagedReplicationFactor() (int, bool) {
	if l.stagedRF == nil {
		return 0, false
	}
	return l.stagedRF.rf, true
}

// HasStagedChanges reports whether anything is staged.
func (l *Layout) HasStagedChanges() bool { return len(l.staged) > 0 || l.stagedRF != nil }

// clock is the highest timestamp this copy has seen.
func (l *Layout) clock() uint64 {
	c := l.settledRF
	if l.stagedRF != nil {
		c = max(c, l.stagedRF.ts)
	}
	for _, s := range l.staged {
		c = max(c, s.ts)
	}
	for _, ts := range l.settled {
		c = max(c, ts)
	}
	return c
}

// settle moves every staged change into the watermark and clears them.
func (l *Layout) settle() {
	for id, s := range l.staged {
		l.settled[id] = max(l.settled[id], s.ts)
	}
	clear(l.staged)
	if l.stagedRF != nil {
		l.settledRF = max(l.settledRF, l.stagedRF.ts)
		l.stagedRF = nil
	}
}

// proposed returns the roles and replication factor an apply would use.
func (l *Layout) proposed() (map[NodeID]Role, int) {
	roles := make(map[NodeID]Role, len(l.applied.roles)+len(l.staged))
	for id, r := range l.applied.roles {
		roles[id] = r
	}
	for id, s := range l.staged {
		if s.remove {
			delete(roles, id)
		} else {
			roles[id] = s.role
		}
	}
	rf := l.applied.rf
	if l.stagedRF != nil {
		rf = l.stagedRF.rf
	}
	return roles, rf
}

// newerStaged reports whether register a wins over b: higher timestamp,
// then a total order on the values.
func newerStaged(a, b stagedRole) bool {
	if a.ts != b.ts {
		return a.ts > b.ts
	}
	if a.remove != b.remove {
		return a.remove
	}
	return compareRole(a.role, b.role) > 0
}
