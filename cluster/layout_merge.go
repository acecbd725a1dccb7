package cluster

import (
	"bytes"
	"crypto/sha256"
)

// Merge returns the merge of l and other, the layout every node converges
// to, and changes neither. It is commutative, associative and idempotent,
// so copies that exchange layouts in any order, any number of times, end
// equal. Each part merges on its own:
//
//   - The applied part (version, replication factor, roles, assignment,
//     history, included watermarks) is taken wholesale from the higher
//     Version. Two different layouts with the same version (applied
//     concurrently on two nodes, a split brain) are ordered by the
//     SHA-256 of their applied part's encoding and the higher one wins, so
//     every node picks the same one; the changes only the losing side had
//     applied are live staged changes again, for the operator to apply as
//     the next version.
//   - Staged changes merge per key (node id, replication factor) as
//     last-writer-wins registers: the higher timestamp wins, ties are
//     broken by the value.
//   - The reverted watermarks and the nodes' trackers merge by maximum.
//
// A staged change is live only above the winning version's included
// watermark and the reverted watermark of its key, so changes an apply
// included or a revert dropped do not come back.
func (l *Layout) Merge(other *Layout) *Layout {
	if other == nil {
		return l.Clone()
	}
	win := l
	if compareApplied(l, other) < 0 {
		win = other
	}
	out := &Layout{applied: win.applied.clone(), staged: map[NodeID]stagedRole{}, reverted: map[NodeID]uint64{}}
	mergeStaging(out, l)
	mergeStaging(out, other)
	mergeTrackers(out, l)
	mergeTrackers(out, other)
	return out
}

// mergeStaging merges from's staged registers and watermarks into dst.
func mergeStaging(dst, from *Layout) {
	for id, s := range from.staged {
		if cur, ok := dst.staged[id]; !ok || newerStaged(s, cur) {
			s.role = s.role.clone()
			dst.staged[id] = s
		}
	}
	for id, ts := range from.reverted {
		dst.reverted[id] = max(dst.reverted[id], ts)
	}
	dst.revertedRF = max(dst.revertedRF, from.revertedRF)
	if from.stagedRF != nil {
		if dst.stagedRF == nil || from.stagedRF.ts > dst.stagedRF.ts ||
			from.stagedRF.ts == dst.stagedRF.ts && from.stagedRF.rf > dst.stagedRF.rf {
			s := *from.stagedRF
			dst.stagedRF = &s
		}
	}
}

// compareApplied orders the applied parts of a and b: by version, then by
// the hash of their encoding.
func compareApplied(a, b *Layout) int {
	if a.applied.version != b.applied.version {
		if a.applied.version < b.applied.version {
			return -1
		}
		return 1
	}
	ha, hb := a.appliedHash(), b.appliedHash()
	return bytes.Compare(ha[:], hb[:])
}

// appliedHash is the SHA-256 of the encoding of the applied part. Apply
// and UnmarshalBinary compute it once (the applied part never changes
// afterwards); only the empty layout computes it on each call.
func (l *Layout) appliedHash() [32]byte {
	if l.applied.hashed {
		return l.applied.hash
	}
	return l.applied.computeHash()
}

func (a applied) computeHash() [32]byte {
	b, err := layoutEnc.Marshal(a.wire())
	if err != nil {
		// Plain structs of integers, strings and byte arrays always encode.
		panic("layout: encode applied part: " + err.Error())
	}
	return sha256.Sum256(b)
}

// sealHash records the hash of the applied part, after it changed.
func (a *applied) sealHash() {
	a.hash, a.hashed = a.computeHash(), true
}
