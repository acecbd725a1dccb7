package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Encoded layouts start with a format byte; decoders of older formats stay
// when the format changes.
const (
	// layoutFormatCBOR: CBOR (RFC 8949) of layoutWireV1, in core
	// deterministic encoding, so equal layouts have equal encodings.
	layoutFormatCBOR = 1
	// layoutFormatTrackers: CBOR of layoutWire, which adds the nodes'
	// trackers.
	layoutFormatTrackers = 2
)

// maxEncodedLayout bounds what UnmarshalBinary accepts.
const maxEncodedLayout = 64 << 20

var layoutEnc, _ = cbor.CoreDetEncOptions().EncMode()

var layoutDec, _ = cbor.DecOptions{
	MaxArrayElements: 1 << 20,
	MaxMapPairs:      1 << 16,
	MaxNestedLevels:  16,
}.DecMode()

// The wire structs are arrays (toarray): positional, compact. Fields are
// only ever appended.

type layoutWire struct {
	_          struct{} `cbor:",toarray"`
	Applied    appliedWire
	Staged     []stagedWire // sorted by node id
	StagedRF   []uint64     // empty, or [ts, rf]
	Reverted   []watermarkWire
	RevertedRF uint64
	Trackers   []trackerWire // sorted by node id
}

// layoutWireV1 is layoutFormatCBOR: no trackers.
type layoutWireV1 struct {
	_          struct{} `cbor:",toarray"`
	Applied    appliedWire
	Staged     []stagedWire
	StagedRF   []uint64
	Reverted   []watermarkWire
	RevertedRF uint64
}

type appliedWire struct {
	_          struct{} `cbor:",toarray"`
	Version    uint64
	RF         int
	Roles      []roleEntryWire // sorted by node id
	Assignment *assignmentWire
	History    []historyWire
	Included   []watermarkWire
	IncludedRF uint64
}

type roleWire struct {
	_        struct{} `cbor:",toarray"`
	Zone     string
	Capacity uint64
	Gateway  bool
	Tags     []string
}

type roleEntryWire struct {
	_    struct{} `cbor:",toarray"`
	ID   idWire
	Role roleWire
}

// assignmentWire lists the nodes once; each partition is indexes into it.
type assignmentWire struct {
	_     struct{} `cbor:",toarray"`
	Nodes []idWire
	Parts [][]uint32
}

type historyWire struct {
	_            struct{} `cbor:",toarray"`
	Version      uint64
	AppliedAtMs  int64
	RF           int
	StorageNodes []idWire
	Gateways     []idWire
	Moves        int
	Assignment   *assignmentWire
}

type stagedWire struct {
	_      struct{} `cbor:",toarray"`
	ID     idWire
	TS     uint64
	Remove bool
	Role   roleWire
}

type watermarkWire struct {
	_  struct{} `cbor:",toarray"`
	ID idWire
	TS uint64
}

// MarshalBinary encodes the whole layout (applied part, history, staged
// changes): a format byte, then deterministic CBOR.
func (l *Layout) MarshalBinary() ([]byte, error) {
	w := layoutWire{Applied: l.applied.wire(), RevertedRF: l.revertedRF}
	for _, id := range sortedKeys(l.staged) {
		s := l.staged[id]
		w.Staged = append(w.Staged, stagedWire{ID: idWire(id), TS: s.ts, Remove: s.remove, Role: toRoleWire(s.role)})
	}
	if l.stagedRF != nil {
		w.StagedRF = []uint64{l.stagedRF.ts, uint64(l.stagedRF.rf)}
	}
	w.Reverted = watermarks(l.reverted)
	w.Trackers = trackersWire(l.trackers)
	b, err := layoutEnc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode layout: %w", err)
	}
	return append([]byte{layoutFormatTrackers}, b...), nil
}

// UnmarshalBinary decodes what MarshalBinary wrote, checking it: roles
// valid, every partition with ReplicationFactor distinct nodes.
func (l *Layout) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty", ErrLayoutFormat)
	}
	if len(b) > maxEncodedLayout {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrLayoutFormat, len(b), maxEncodedLayout)
	}
	var w layoutWire
	switch b[0] {
	case layoutFormatCBOR:
		var v1 layoutWireV1
		if err := layoutDec.Unmarshal(b[1:], &v1); err != nil {
			return fmt.Errorf("%w: %w", ErrLayoutFormat, err)
		}
		w = layoutWire{Applied: v1.Applied, Staged: v1.Staged, StagedRF: v1.StagedRF, Reverted: v1.Reverted, RevertedRF: v1.RevertedRF}
	case layoutFormatTrackers:
		if err := layoutDec.Unmarshal(b[1:], &w); err != nil {
			return fmt.Errorf("%w: %w", ErrLayoutFormat, err)
		}
	default:
		return fmt.Errorf("%w: unknown format %d", ErrLayoutFormat, b[0])
	}
	out, err := w.layout()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLayoutFormat, err)
	}
	*l = *out
	return nil
}

// LayoutDigest is a short hash of a layout's whole encoding. Nodes
// advertise it in their gossip metadata; a node that sees a digest other
// than its own fetches the peer's layout and merges it.
type LayoutDigest [16]byte

// String returns the digest in hex.
func (d LayoutDigest) String() string { return hex.EncodeToString(d[:]) }

// Digest returns the first 16 bytes of the SHA-256 of the encoding. Equal
// layouts have equal digests; the digest changes with every apply, staging
// or revert.
func (l *Layout) Digest() LayoutDigest {
	b, err := l.MarshalBinary()
	if err != nil {
		panic("layout: " + err.Error()) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	var d LayoutDigest
	copy(d[:], sum[:])
	return d
}

// Equal reports whether l and o have the same content.
func (l *Layout) Equal(o *Layout) bool { return l.Digest() == o.Digest() }

func (a applied) wire() appliedWire {
	w := appliedWire{Version: a.version, RF: a.replicationFactor(), Assignment: toAssignmentWire(a.assignment),
		Included: watermarks(a.included), IncludedRF: a.includedRF}
	for _, id := range sortedKeys(a.roles) {
		w.Roles = append(w.Roles, roleEntryWire{ID: idWire(id), Role: toRoleWire(a.roles[id])})
	}
	for _, h := range a.history {
		w.History = append(w.History, historyWire{
			Version: h.Version, AppliedAtMs: h.AppliedAt.UnixMilli(), RF: h.ReplicationFactor,
			StorageNodes: toIDWires(h.StorageNodes), Gateways: toIDWires(h.Gateways), Moves: h.Moves,
			Assignment: toAssignmentWire(h.Assignment),
		})
	}
	return w
}

func toRoleWire(r Role) roleWire {
	if len(r.Tags) == 0 {
		r.Tags = nil // one encoding for "no tags"
	}
	return roleWire{Zone: r.Zone, Capacity: r.Capacity, Gateway: r.Gateway, Tags: r.Tags}
}

func (r roleWire) role() Role {
	return Role{Zone: r.Zone, Capacity: r.Capacity, Gateway: r.Gateway, Tags: r.Tags}
}

func toAssignmentWire(a *Assignment) *assignmentWire {
	if a == nil {
		return nil
	}
	nodes := a.Nodes()
	idx := map[NodeID]uint32{}
	for i, id := range nodes {
		idx[id] = uint32(i)
	}
	w := &assignmentWire{Nodes: toIDWires(nodes), Parts: make([][]uint32, NumPartitions)}
	for p := range a.parts {
		w.Parts[p] = make([]uint32, len(a.parts[p]))
		for j, id := range a.parts[p] {
			w.Parts[p][j] = idx[id]
		}
	}
	return w
}

func (w *assignmentWire) assignment(rf int) (*Assignment, error) {
	if w == nil {
		return nil, nil
	}
	if len(w.Parts) != NumPartitions {
		return nil, fmt.Errorf("assignment has %d partitions, want %d", len(w.Parts), NumPartitions)
	}
	a := &Assignment{}
	for p, ixs := range w.Parts {
		if len(ixs) != rf {
			return nil, fmt.Errorf("partition %d has %d replicas, want %d", p, len(ixs), rf)
		}
		for _, i := range ixs {
			if int(i) >= len(w.Nodes) {
				return nil, fmt.Errorf("partition %d: node index %d out of range", p, i)
			}
			a.parts[p] = append(a.parts[p], NodeID(w.Nodes[i]))
		}
		slices.SortFunc(a.parts[p], compareNodeID)
		if len(slices.CompactFunc(slices.Clone(a.parts[p]), func(x, y NodeID) bool { return x == y })) != rf {
			return nil, fmt.Errorf("partition %d has a node twice", p)
		}
	}
	return a, nil
}

func (w layoutWire) layout() (*Layout, error) {
	a := w.Applied
	if err := checkRF(a.RF); err != nil {
		return nil, err
	}
	l := &Layout{
		applied: applied{version: a.Version, rf: a.RF, roles: map[NodeID]Role{},
			included: fromWatermarks(a.Included), includedRF: a.IncludedRF},
		staged:     map[NodeID]stagedRole{},
		reverted:   fromWatermarks(w.Reverted),
		revertedRF: w.RevertedRF,
		trackers:   fromTrackersWire(w.Trackers),
	}
	for _, e := range a.Roles {
		r := e.Role.role()
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("role of %s: %w", NodeID(e.ID).Short(), err)
		}
		l.applied.roles[NodeID(e.ID)] = r
	}
	var err error
	if l.applied.assignment, err = a.Assignment.assignment(a.RF); err != nil {
		return nil, err
	}
	if as := l.applied.assignment; as != nil {
		for _, id := range as.Nodes() {
			if r, ok := l.applied.roles[id]; !ok || r.Gateway {
				return nil, fmt.Errorf("assignment uses node %s, not a storage node of the layout", id.Short())
			}
		}
	}
	if (a.Version == 0) != (l.applied.assignment == nil) {
		return nil, fmt.Errorf("version %d with%s an assignment", a.Version, map[bool]string{true: "", false: "out"}[l.applied.assignment != nil])
	}
	for _, h := range a.History {
		ha, err := h.Assignment.assignment(h.RF)
		if err != nil {
			return nil, fmt.Errorf("history version %d: %w", h.Version, err)
		}
		l.applied.history = append(l.applied.history, HistoryEntry{
			Version: h.Version, AppliedAt: time.UnixMilli(h.AppliedAtMs).UTC(), ReplicationFactor: h.RF,
			StorageNodes: fromIDWires(h.StorageNodes), Gateways: fromIDWires(h.Gateways), Moves: h.Moves, Assignment: ha,
		})
	}
	// The current assignment is shared with the newest history entry.
	if n := len(l.applied.history); n > 0 && l.applied.history[n-1].Version == a.Version &&
		l.applied.history[n-1].Assignment.Equal(l.applied.assignment) {
		l.applied.history[n-1].Assignment = l.applied.assignment
	}
	for _, s := range w.Staged {
		st := stagedRole{ts: s.TS, remove: s.Remove}
		if !s.Remove {
			st.role = s.Role.role()
			if err := st.role.Validate(); err != nil {
				return nil, fmt.Errorf("staged role of %s: %w", NodeID(s.ID).Short(), err)
			}
		}
		l.staged[NodeID(s.ID)] = st
	}
	switch len(w.StagedRF) {
	case 0:
	case 2:
		if err := checkRF(int(w.StagedRF[1])); err != nil {
			return nil, fmt.Errorf("staged: %w", err)
		}
		l.stagedRF = &stagedRF{ts: w.StagedRF[0], rf: int(w.StagedRF[1])}
	default:
		return nil, fmt.Errorf("staged replication factor has %d fields", len(w.StagedRF))
	}
	l.applied.sealHash()
	return l, nil
}

func watermarks(m map[NodeID]uint64) []watermarkWire {
	var out []watermarkWire
	for _, id := range sortedKeys(m) {
		out = append(out, watermarkWire{ID: idWire(id), TS: m[id]})
	}
	return out
}

func fromWatermarks(w []watermarkWire) map[NodeID]uint64 {
	m := make(map[NodeID]uint64, len(w))
	for _, e := range w {
		m[NodeID(e.ID)] = e.TS
	}
	return m
}

func sortedKeys[V any](m map[NodeID]V) []NodeID {
	out := make([]NodeID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.SortFunc(out, compareNodeID)
	return out
}

// idWire is a NodeID on the wire: a CBOR byte string of exactly the id's
// length (a plain array would accept a short string, zero-padded).
type idWire NodeID

// MarshalCBOR implements cbor.Marshaler.
func (w idWire) MarshalCBOR() ([]byte, error) { return layoutEnc.Marshal(w[:]) }

// UnmarshalCBOR implements cbor.Unmarshaler.
func (w *idWire) UnmarshalCBOR(b []byte) error {
	var s []byte
	if err := layoutDec.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("node id: %w", err)
	}
	if len(s) != len(w) {
		return fmt.Errorf("node id of %d bytes, want %d", len(s), len(w))
	}
	copy(w[:], s)
	return nil
}

func toIDWires(ids []NodeID) []idWire {
	if ids == nil {
		return nil
	}
	out := make([]idWire, len(ids))
	for i, id := range ids {
		out[i] = idWire(id)
	}
	return out
}

func fromIDWires(ids []idWire) []NodeID {
	if ids == nil {
		return nil
	}
	out := make([]NodeID, len(ids))
	for i, id := range ids {
		out[i] = NodeID(id)
	}
	return out
}
