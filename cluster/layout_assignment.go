package cluster

import (
	"crypto/sha256"
	"slices"
)

// Assignment maps each of the NumPartitions partitions to its replicas:
// ReplicationFactor distinct storage nodes, sorted by id. An Assignment is
// immutable once built; it may be shared between layouts and goroutines.
type Assignment struct {
	parts [NumPartitions][]NodeID
}

// Replicas returns a copy of the nodes holding partition p.
func (a *Assignment) Replicas(p uint8) []NodeID { return slices.Clone(a.parts[p]) }

// Holds reports whether node id holds partition p.
func (a *Assignment) Holds(id NodeID, p uint8) bool { return slices.Contains(a.parts[p], id) }

// Counts returns how many partitions each node holds.
func (a *Assignment) Counts() map[NodeID]int {
	out := map[NodeID]int{}
	for p := range a.parts {
		for _, id := range a.parts[p] {
			out[id]++
		}
	}
	return out
}

// Partitions returns the partitions node id holds, in increasing order.
func (a *Assignment) Partitions(id NodeID) []uint8 {
	var out []uint8
	for p := range a.parts {
		if slices.Contains(a.parts[p], id) {
			out = append(out, uint8(p))
		}
	}
	return out
}

// Nodes returns every node holding at least one partition, sorted.
func (a *Assignment) Nodes() []NodeID {
	var out []NodeID
	for id := range a.Counts() {
		out = append(out, id)
	}
	slices.SortFunc(out, compareNodeID)
	return out
}

// Moves counts the partition replicas of b that a did not have: how many
// (partition, node) copies must be transferred to go from a to b. A nil a
// (nothing applied before) counts nothing as moved.
func (a *Assignment) Moves(b *Assignment) int {
	if a == nil || b == nil {
		return 0
	}
	n := 0
	for p := range b.parts {
		for _, id := range b.parts[p] {
			if !slices.Contains(a.parts[p], id) {
				n++
			}
		}
	}
	return n
}

// Equal reports whether a and b assign every partition to the same nodes.
func (a *Assignment) Equal(b *Assignment) bool {
	if a == nil || b == nil {
		return a == b
	}
	for p := range a.parts {
		if !slices.Equal(a.parts[p], b.parts[p]) {
			return false
		}
	}
	return true
}

// Digest is the SHA-256 of the assignment (node ids of each partition in
// order), to compare assignments cheaply.
func (a *Assignment) Digest() [32]byte {
	h := sha256.New()
	for p := range a.parts {
		h.Write([]byte{byte(p), byte(len(a.parts[p]))})
		for _, id := range a.parts[p] {
			h.Write(id[:])
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
