package table

import "sync"

// Dirty marks: the keys of this node's copy that may hold a value no write
// quorum has yet. A write another node coordinates marks the keys it
// changes before its transaction commits (so a read that sees the value
// sees the mark); the marks go once the value is known to be on a quorum:
// this node's own write reached its quorum and nothing else changed the
// key meanwhile, a quorum read found every replica asked holding this
// node's value, or a two-way sync of the partition with another replica
// began after the mark. Values pulled by anti-entropy come from another
// replica and are marked by nothing.

// maxDirtyMarks bounds the marks kept (about 100 bytes each). Past it, a
// partition's marks are dropped together with its caught-up state: it is
// read at quorum until its next catch-up sync.
const maxDirtyMarks = 16384

// origin says who asked for a local update.
type origin uint8

const (
	originRemote origin = iota // another node's write, read repair, push
	originOwn                  // a write this node coordinates
	originSync                 // entries pulled from another replica
)

type dirtyMark struct {
	seq uint64
	// own: only writes this node coordinated changed the key since it was
	// last settled.
	own bool
}

type dirtyMarks struct {
	mu      sync.Mutex
	seq     uint64
	keys    map[string]dirtyMark
	perPart [256]int
	// gen counts, per partition, the times its marks were dropped: a
	// partition caught up before a drop is not caught up after it.
	gen [256]uint64
}

func newDirtyMarks() dirtyMarks { return dirtyMarks{keys: map[string]dirtyMark{}} }

func dirtyKey(table string, key []byte) string { return table + "\x00" + string(key) }

// current returns the sequence number of the last mark.
func (d *dirtyMarks) current() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seq
}

// mark records that key (a storage key: its first byte is the partition)
// of table was changed by a write of origin o (not originSync: entries
// pulled from another replica are not marked, Local.mark sees to it), and
// returns the mark's sequence number.
func (d *dirtyMarks) mark(table string, key []byte, o origin) uint64 {
	if len(key) == 0 {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	k := dirtyKey(table, key)
	m, had := d.keys[k]
	if !had {
		if len(d.keys) >= maxDirtyMarks {
			d.dropPartitionLocked(key[0])
		}
		d.perPart[key[0]]++
		m.own = o == originOwn
	} else if o != originOwn {
		m.own = false
	}
	m.seq = d.seq
	d.keys[k] = m
	return d.seq
}

// isDirty reports whether the key carries a mark.
func (d *dirtyMarks) isDirty(table string, key []byte) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.keys[dirtyKey(table, key)]
	return ok
}

// count returns the number of marks of partition p.
func (d *dirtyMarks) count(p uint8) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.perPart[p]
}

// partitionDirty reports whether a key of partition p carries a mark.
func (d *dirtyMarks) partitionDirty(p uint8) bool { return d.count(p) > 0 }

// settledOwn clears the mark of a key this node's own write, whose local
// update had sequence number seq, brought to a quorum: only if no other
// write changed the key since it was last settled.
func (d *dirtyMarks) settledOwn(table string, key []byte, seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := dirtyKey(table, key)
	if m, ok := d.keys[k]; ok && m.own && m.seq == seq {
		d.deleteLocked(k, key[0])
	}
}

// settled clears the mark of a key whose value, read after sequence
// number seq, was found on a quorum.
func (d *dirtyMarks) settled(table string, key []byte, seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := dirtyKey(table, key)
	if m, ok := d.keys[k]; ok && m.seq <= seq {
		d.deleteLocked(k, key[0])
	}
}

// clearPartition clears the marks of partition p up to sequence number
// seq (its values reached another replica in a sync begun after them).
func (d *dirtyMarks) clearPartition(p uint8, seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.perPart[p] == 0 {
		return
	}
	for k, m := range d.keys {
		if dirtyKeyPartition(k) == p && m.seq <= seq {
			d.deleteLocked(k, p)
		}
	}
}

// generation returns how many times partition p's marks were dropped.
func (d *dirtyMarks) generation(p uint8) uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gen[p]
}

// dirtyKeyPartition is the partition of a dirtyKey: the first byte of the
// storage key, after the table name and its NUL.
func dirtyKeyPartition(k string) uint8 {
	for i := 0; i < len(k)-1; i++ {
		if k[i] == 0 {
			return k[i+1]
		}
	}
	return 0
}

func (d *dirtyMarks) deleteLocked(k string, p uint8) {
	delete(d.keys, k)
	d.perPart[p]--
}

// dropPartitionLocked drops the marks of partition p, or of the one with
// the most if p has none, and counts the drop in its generation.
func (d *dirtyMarks) dropPartitionLocked(p uint8) {
	if d.perPart[p] == 0 {
		for i, n := range d.perPart {
			if n > d.perPart[p] {
				p = uint8(i)
			}
		}
	}
	for k := range d.keys {
		if dirtyKeyPartition(k) == p {
			delete(d.keys, k)
		}
	}
	d.perPart[p] = 0
	d.gen[p]++
}
