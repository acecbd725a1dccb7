package model

import "time"

// Compaction of object entries (table.Schema.Compact).
//
// An object keeps a marker for every superseded and aborted version, so
// that a replica that missed the change cannot bring an old state back:
// a key overwritten again and again grows by one marker per overwrite.
// The table GC compacts such an entry once every holder of its partition
// stores the same value, dropping the markers stamped before the GC's
// cut-off (now minus gc_delay):
//
//   - a superseded marker older than the entry's current (newest
//     complete) version;
//   - an aborted marker.
//
// The current version is always kept, data or delete marker, as are
// uploads in progress and everything stamped after the cut-off. An entry
// that is only a delete marker over markers is a tombstone: the GC
// deletes it whole instead (Object.IsTombstone).
//
// Why a late write cannot undo an acknowledged state. Let a be the entry
// compacted into c, and b anything merged later (a write delayed in the
// network, a read repair, anti-entropy from a replica that kept an old
// value). Merge keeps, per version, the highest state of the rank
// uploading < aborted < complete < superseded, and turns every complete
// version older than the newest complete one into a superseded marker.
//
//   - A dropped superseded marker X is older than c's current version C,
//     which c keeps. If b holds X (in any state), X can at most be
//     complete in merge(c, b), and there it is older than C, so it is
//     superseded again: it never becomes current. The version GET sees is
//     the same in merge(c, b) as in merge(a, b), since C or something
//     newer is complete in both.
//   - A dropped aborted marker X: if b holds X complete, X is complete in
//     merge(a, b) too (complete beats aborted), so nothing changes. Only a
//     write of X still uploading, the write that started X, could bring it
//     back as an upload in progress; that write was sent when X was
//     stamped, before the cut-off, so more than gc_delay ago, which no
//     write outlives (they give up after 30 s). Its data was released by
//     the abort either way, and an upload in progress is never visible.
//
// So compaction never changes the visible version of any later merge,
// and every version stamped after the cut-off is kept as it is: the
// property test in compact_test.go checks both. The cut-off compares
// version stamps (hybrid clock of the writing node) with the GC node's
// clock: gc_delay must exceed the clock skew between nodes.

// compactObject implements table.Schema.Compact for objects.
func compactObject(o Object, before time.Time) (Object, bool) {
	cut := uint64(max(0, before.UnixMilli()))
	cur, hasCur := o.Current()
	drop := func(v ObjectVersion) bool {
		if v.TS >= cut {
			return false
		}
		switch v.State {
		case StateAborted:
			return true
		case StateSuperseded:
			return hasCur && v.before(cur)
		}
		return false
	}
	n := 0
	for _, v := range o.Versions {
		if drop(v) {
			n++
		}
	}
	if n == 0 {
		return o, false
	}
	out := Object{Bucket: o.Bucket, Key: o.Key, Versions: make([]ObjectVersion, 0, len(o.Versions)-n)}
	for _, v := range o.Versions {
		if !drop(v) {
			out.Versions = append(out.Versions, v)
		}
	}
	if len(out.Versions) == 0 {
		out.Versions = nil
	}
	return out, true
}
