package cluster

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// NumPartitions is the number of partitions the key space is cut into.
// Every table entry and every data block belongs to exactly one of them.
const NumPartitions = 256

// Replication factor bounds. DefaultReplicationFactor is what a new cluster
// uses unless told otherwise: three copies, read and write quorum two.
const (
	MinReplicationFactor     = 1
	MaxReplicationFactor     = 7
	DefaultReplicationFactor = 3
)

// HistoryAssignmentsKept is how many of the most recent applied versions
// keep their full partition assignment in the history (the current one
// included). Older entries keep only their summary.
const HistoryAssignmentsKept = 8

// Partition returns the partition of a partition key whose SHA-256 hash is
// hash: its first byte. The partition function is therefore
//
//	partition(key) = sha256(key)[0]
//
// which spreads keys uniformly over the NumPartitions partitions. Every
// node computes it alone; it never changes with the layout.
func Partition(hash [32]byte) uint8 { return hash[0] }

// Role is what the operator assigns to a node in the layout.
//
// A storage node has a zone and a capacity in bytes; it holds partitions in
// proportion to its capacity. A gateway node (Gateway true, Capacity 0)
// stores nothing: it answers S3 and web requests and routes them to the
// storage nodes.
type Role struct {
	Zone     string   // site or data centre; replicas go to distinct zones
	Capacity uint64   // bytes; 0 for a gateway
	Gateway  bool     // no capacity, stores nothing
	Tags     []string // free-form labels for the operator
}

// Validate reports whether r can be staged: a non-empty zone and either a
// positive capacity or the gateway flag, not both.
func (r Role) Validate() error {
	switch {
	case strings.TrimSpace(r.Zone) == "":
		return fmt.Errorf("%w: zone is empty", ErrInvalidRole)
	case r.Gateway && r.Capacity != 0:
		return fmt.Errorf("%w: a gateway has no capacity (got %s)", ErrInvalidRole, FormatCapacity(r.Capacity))
	case !r.Gateway && r.Capacity == 0:
		return fmt.Errorf("%w: a storage node needs a capacity (or make it a gateway)", ErrInvalidRole)
	}
	return nil
}

// Equal reports whether r and o are the same role.
func (r Role) Equal(o Role) bool {
	return r.Zone == o.Zone && r.Capacity == o.Capacity && r.Gateway == o.Gateway && slices.Equal(r.Tags, o.Tags)
}

// String is a short human form: "zone dc1, 1.0 TB" or "zone dc1, gateway".
func (r Role) String() string {
	if r.Gateway {
		return fmt.Sprintf("zone %s, gateway", r.Zone)
	}
	return fmt.Sprintf("zone %s, %s", r.Zone, FormatCapacity(r.Capacity))
}

func (r Role) clone() Role {
	r.Tags = slices.Clone(r.Tags)
	return r
}

// compareRole orders roles totally (used to break ties between concurrent
// stagings deterministically).
func compareRole(a, b Role) int {
	if c := strings.Compare(a.Zone, b.Zone); c != 0 {
		return c
	}
	if a.Capacity != b.Capacity {
		if a.Capacity < b.Capacity {
			return -1
		}
		return 1
	}
	if a.Gateway != b.Gateway {
		if !a.Gateway {
			return -1
		}
		return 1
	}
	return slices.Compare(a.Tags, b.Tags)
}

// Layout is the cluster layout: the roles of the nodes, the replication
// factor and the assignment of the NumPartitions partitions to storage
// nodes, as of the last applied Version, plus the changes staged for the
// next version and a history of applied versions.
//
// Changes are staged (Stage, StageRemove, StageReplicationFactor), shown
// (Preview), then applied (Apply) with the next version number, or dropped
// (Revert). Every node holds a copy; copies converge with Merge.
//
// A Layout is a value owned by its caller: it is not safe for concurrent
// use (share it behind a mutex, or swap immutable copies: Merge and Clone
// return new layouts), and the slices and maps its accessors return are
// copies. The zero Layout is an empty layout with the default replication
// factor.
type Layout struct {
	applied applied

	// Staged changes: last-writer-wins registers, one per node id plus one
	// for the replication factor, timestamped with Lamport clock values
	// (see clock). A register is kept after it is applied or reverted, so
	// merges stay simple joins; it is live (shown, applied) only while its
	// timestamp is above both the applied version's included watermark
	// and the reverted watermark for its key.
	staged   map[NodeID]stagedRole
	stagedRF *stagedRF

	// reverted[id]: the highest timestamp of a change for id dropped by
	// Revert. Merged by maximum.
	reverted   map[NodeID]uint64
	revertedRF uint64

	// trackers: each node's progress through the applied versions (see
	// Trackers). Merged by maximum.
	trackers map[NodeID]Trackers
}

// applied is the part of the layout that an Apply replaces wholesale.
type applied struct {
	version    uint64
	rf         int
	roles      map[NodeID]Role
	assignment *Assignment // nil while version == 0
	history    []HistoryEntry

	// included[id]: the timestamp of the newest staged change for id that
	// this version or one before it applied.
	included   map[NodeID]uint64
	includedRF uint64

	hash   [32]byte // of the encoding, when hashed (see sealHash)
	hashed bool
}

// HistoryEntry describes one applied version. The newest
// HistoryAssignmentsKept entries keep their full Assignment, so a node can
// tell which nodes held a partition before a change while data moves.
type HistoryEntry struct {
	Version           uint64
	AppliedAt         time.Time
	ReplicationFactor int
	StorageNodes      []NodeID    // nodes holding at least one partition, sorted
	Gateways          []NodeID    // sorted
	Moves             int         // partition replicas moved relative to the previous version
	Assignment        *Assignment // nil once pruned from the history
}

// NewLayout returns an empty layout (version 0, nothing applied) whose
// first applied version will use replication factor rf unless a different
// one is staged.
func NewLayout(rf int) (*Layout, error) {
	if err := checkRF(rf); err != nil {
		return nil, err
	}
	return &Layout{
		applied:  applied{rf: rf, roles: map[NodeID]Role{}, included: map[NodeID]uint64{}},
		staged:   map[NodeID]stagedRole{},
		reverted: map[NodeID]uint64{},
	}, nil
}

func checkRF(rf int) error {
	if rf < MinReplicationFactor || rf > MaxReplicationFactor {
		return fmt.Errorf("%w: %d (want %d to %d)", ErrInvalidReplicationFactor, rf, MinReplicationFactor, MaxReplicationFactor)
	}
	return nil
}

// Version returns the applied version, 0 if nothing was applied yet.
func (l *Layout) Version() uint64 { return l.applied.version }

// ReplicationFactor returns the applied replication factor (or the one a
// first apply will use, before anything is applied).
func (l *Layout) ReplicationFactor() int { return l.applied.replicationFactor() }

func (a applied) replicationFactor() int {
	if a.rf == 0 { // the zero Layout
		return DefaultReplicationFactor
	}
	return a.rf
}

// Roles returns a copy of the applied roles.
func (l *Layout) Roles() map[NodeID]Role {
	out := make(map[NodeID]Role, len(l.applied.roles))
	for id, r := range l.applied.roles {
		out[id] = r.clone()
	}
	return out
}

// Role returns the applied role of id.
func (l *Layout) Role(id NodeID) (Role, bool) {
	r, ok := l.applied.roles[id]
	return r.clone(), ok
}

// Assignment returns the applied partition assignment, nil before the
// first apply. It is immutable and may be shared.
func (l *Layout) Assignment() *Assignment { return l.applied.assignment }

// Replicas returns the storage nodes holding partition p in the applied
// version, sorted by id; nil before the first apply.
func (l *Layout) Replicas(p uint8) []NodeID {
	if l.applied.assignment == nil {
		return nil
	}
	return l.applied.assignment.Replicas(p)
}

// StorageNodes returns the ids of the applied storage nodes, sorted.
func (l *Layout) StorageNodes() []NodeID {
	return l.nodesWhere(func(r Role) bool { return !r.Gateway })
}

// Gateways returns the ids of the applied gateway nodes, sorted.
func (l *Layout) Gateways() []NodeID { return l.nodesWhere(func(r Role) bool { return r.Gateway }) }

func (l *Layout) nodesWhere(keep func(Role) bool) []NodeID {
	var out []NodeID
	for id, r := range l.applied.roles {
		if keep(r) {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, compareNodeID)
	return out
}

// History returns the applied versions, oldest first. Entries and their
// assignments are shared and must not be modified.
func (l *Layout) History() []HistoryEntry { return slices.Clone(l.applied.history) }

// ReplicasAt returns the nodes that held partition p in applied version v,
// if the history still has that version's full assignment.
func (l *Layout) ReplicasAt(v uint64, p uint8) ([]NodeID, bool) {
	for _, h := range l.applied.history {
		if h.Version == v && h.Assignment != nil {
			return h.Assignment.Replicas(p), true
		}
	}
	return nil, false
}

// Clone returns a deep copy of l (assignments, being immutable, are shared).
func (l *Layout) Clone() *Layout {
	c := &Layout{
		applied:    l.applied.clone(),
		staged:     maps.Clone(l.staged),
		reverted:   maps.Clone(l.reverted),
		revertedRF: l.revertedRF,
		trackers:   maps.Clone(l.trackers),
	}
	if c.staged == nil {
		c.staged = map[NodeID]stagedRole{}
	}
	if c.reverted == nil {
		c.reverted = map[NodeID]uint64{}
	}
	for id, s := range c.staged {
		s.role = s.role.clone()
		c.staged[id] = s
	}
	if l.stagedRF != nil {
		s := *l.stagedRF
		c.stagedRF = &s
	}
	return c
}

func (a applied) clone() applied {
	c := a
	c.roles = make(map[NodeID]Role, len(a.roles))
	for id, r := range a.roles {
		c.roles[id] = r.clone()
	}
	c.history = slices.Clone(a.history)
	c.included = maps.Clone(a.included)
	if c.included == nil {
		c.included = map[NodeID]uint64{}
	}
	return c
}

func compareNodeID(a, b NodeID) int { return strings.Compare(string(a[:]), string(b[:])) }
