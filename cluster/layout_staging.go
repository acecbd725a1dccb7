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
// stagings on different nodes are ordered deterministically.
//
// Apply and Revert do not delete registers: they raise a watermark per key
// (the applied version's included map, the reverted map) and a register at
// or below its watermarks is no longer live. So a change they consumed does
// not come back from a copy that had not heard of them yet, a change staged
// elsewhere meanwhile stays, and if two nodes apply the same version
// concurrently the changes only the losing side applied are staged again.

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
	l.init()
	l.staged[id] = stagedRole{ts: l.clock() + 1, role: r.clone()}
	return nil
}

// StageRemove stages the removal of node id from the layout. The node must
// have a role, applied or staged.
func (l *Layout) StageRemove(id NodeID) error {
	_, applied := l.applied.roles[id]
	s, staged := l.liveStaged(id)
	if !applied && (!staged || s.remove) {
		return fmt.Errorf("remove node %s: %w", id.Short(), ErrUnknownNode)
	}
	l.init()
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
func (l *Layout) Revert() {
	l.init()
	for id, s := range l.staged {
		l.reverted[id] = max(l.reverted[id], s.ts)
	}
	if l.stagedRF != nil {
		l.revertedRF = max(l.revertedRF, l.stagedRF.ts)
	}
}

// init makes the zero Layout usable (as a layout of NewLayout(DefaultReplicationFactor)).
func (l *Layout) init() {
	if l.applied.rf == 0 {
		l.applied.rf = DefaultReplicationFactor
	}
	if l.applied.roles == nil {
		l.applied.roles = map[NodeID]Role{}
	}
	if l.applied.included == nil {
		l.applied.included = map[NodeID]uint64{}
	}
	if l.staged == nil {
		l.staged = map[NodeID]stagedRole{}
	}
	if l.reverted == nil {
		l.reverted = map[NodeID]uint64{}
	}
}

// liveStaged returns the register of id if it is live.
func (l *Layout) liveStaged(id NodeID) (stagedRole, bool) {
	s, ok := l.staged[id]
	if !ok || s.ts <= l.reverted[id] || s.ts <= l.applied.included[id] {
		return stagedRole{}, false
	}
	return s, true
}

// liveRF returns the replication factor register if it is live.
func (l *Layout) liveRF() (stagedRF, bool) {
	if l.stagedRF == nil || l.stagedRF.ts <= l.revertedRF || l.stagedRF.ts <= l.applied.includedRF {
		return stagedRF{}, false
	}
	return *l.stagedRF, true
}

// Staged returns the staged role changes, sorted by node id.
func (l *Layout) Staged() []StagedChange {
	out := make([]StagedChange, 0, len(l.staged))
	for id := range l.staged {
		s, ok := l.liveStaged(id)
		if !ok {
			continue
		}
		out = append(out, StagedChange{Node: id, Remove: s.remove, Role: s.role.clone()})
	}
	slices.SortFunc(out, func(a, b StagedChange) int { return compareNodeID(a.Node, b.Node) })
	return out
}

// StagedReplicationFactor returns the staged replication factor, if any.
func (l *Layout) StagedReplicationFactor() (int, bool) {
	s, ok := l.liveRF()
	return s.rf, ok
}

// HasStagedChanges reports whether anything is staged.
func (l *Layout) HasStagedChanges() bool {
	_, rf := l.liveRF()
	return rf || len(l.Staged()) > 0
}

// clock is the highest timestamp this copy has seen.
func (l *Layout) clock() uint64 {
	c := max(l.revertedRF, l.applied.includedRF)
	if l.stagedRF != nil {
		c = max(c, l.stagedRF.ts)
	}
	for _, s := range l.staged {
		c = max(c, s.ts)
	}
	for _, ts := range l.reverted {
		c = max(c, ts)
	}
	for _, ts := range l.applied.included {
		c = max(c, ts)
	}
	return c
}

// include marks every live staged change as included in the applied
// version (called by Apply after it replaced the applied part).
func (l *Layout) include(live []StagedChange, rf stagedRF, hasRF bool) {
	for _, c := range live {
		l.applied.included[c.Node] = l.staged[c.Node].ts
	}
	if hasRF {
		l.applied.includedRF = rf.ts
	}
}

// proposed returns the roles and replication factor an apply would use.
func (l *Layout) proposed() (map[NodeID]Role, int) {
	roles := make(map[NodeID]Role, len(l.applied.roles)+len(l.staged))
	for id, r := range l.applied.roles {
		roles[id] = r
	}
	for _, c := range l.Staged() {
		if c.Remove {
			delete(roles, c.Node)
		} else {
			roles[c.Node] = c.Role
		}
	}
	rf := l.applied.replicationFactor()
	if s, ok := l.liveRF(); ok {
		rf = s.rf
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
