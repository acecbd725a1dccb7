package cluster

import (
	"bytes"
	"crypto/sha256"
)

// Merge returns the merge of l and other, the layout every node converges
// to, and changes neither. It is commutative, associative and idempotent,
// so copies that exchange layouts in any order, any number of times, end
// equal:
//
//   - The applied part (version, replication factor, roles, assignment,
//     history) is taken wholesale from the higher Version. Two different
//     layouts with the same version (applied concurrently on two nodes, a
//     split brain) are ordered by the SHA-256 of their applied part's
//     encoding, the higher one wins, so every node picks the same one. The
//     operator sees one of them and applies the next version from there.
//   - Staged changes merge per key (node id, replication factor) as
//     last-writer-wins registers: the higher timestamp wins, ties are
//     broken by the value.
//   - The settled watermarks (per key, the highest staged timestamp an
//     Apply or Revert consumed) merge by maximum, and every staged change
//     at or below its key's watermark is dropped: a change an apply already
//     included, or a revert dropped, does not come back.
func (l *Layout) Merge(other *Layout) *Layout {
	if other == nil {
		return l.Clone()
	}
	win := l
	if compareApplied(l, other) < 0 {
		win = other
	}
	out := &Layout{applied: win.applied.clone(), staged: map[NodeID]stagedRole{}, settled: map[NodeID]uint64{}}
	mergeStaging(out, l)
	mergeStaging(out, other)
	out.normalize()
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
	for id, ts := range from.settled {
		dst.settled[id] = max(dst.settled[id], ts)
	}
	dst.settledRF = max(dst.settledRF, from.settledRF)
	if from.stagedRF != nil {
		if dst.stagedRF == nil || from.stagedRF.ts > dst.stagedRF.ts ||
			from.stagedRF.ts == dst.stagedRF.ts && from.stagedRF.rf > dst.stagedRF.rf {
			s := *from.stagedRF
			dst.stagedRF = &s
		}
	}
}

// normalize drops the staged changes at or below their watermark.
func (l *Layout) normalize() {
	for id, s := range l.staged {
		if s.ts <= l.settled[id] {
			delete(l.staged, id)
		}
	}
	if l.stagedRF != nil && l.stagedRF.ts <= l.settledRF {
		l.stagedRF = nil
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

// appliedHash is the SHA-256 of the encoding of the applied part.
func (l *Layout) appliedHash() [32]byte {
	w := l.applied.wire()
	b, err := layoutEnc.Marshal(w)
	if err != nil {
		// Encoding plain structs of integers, strings and byte arrays
		// cannot fail.
		panic("layout: encode applied part: " + err.Error())
	}
	return sha256.Sum256(b)
}
