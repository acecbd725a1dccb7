package cluster

import (
	"slices"
	"testing"
)

// all advances every field of id's trackers to v.
func all(v uint64) Trackers { return Trackers{Ack: v, Sync: v, SyncAck: v} }

func TestTransitionAddNode(t *testing.T) {
	l := mustLayout(t, 3)
	a, b, c, d := testID(1), testID(2), testID(3), testID(4)
	for i, id := range []NodeID{a, b, c} {
		mustStage(t, l, id, Role{Zone: string(rune('x' + i)), Capacity: 1e12})
	}
	mustApply(t, l)
	if got := l.WriteVersions(a); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("first version: writes at %v", got)
	}
	if l.ReadVersion(a) != 1 || l.InTransition(a) {
		t.Fatalf("first version: read at %d, transition %v", l.ReadVersion(a), l.InTransition(a))
	}
	for _, id := range []NodeID{a, b, c} {
		l.AdvanceTrackers(id, all(1))
	}

	mustStage(t, l, d, Role{Zone: "w", Capacity: 1e12})
	mustApply(t, l)
	if tr := l.Trackers(d); tr != all(1) {
		t.Fatalf("new node starts at %+v, want the others' %+v", tr, all(1))
	}
	steps := []struct {
		name   string
		do     func()
		writes []uint64
		read   uint64 // a's read version
	}{
		{"applied", func() {}, []uint64{1, 2}, 1},
		{"all acked", func() {
			for _, id := range []NodeID{a, b, c, d} {
				l.AdvanceTrackers(id, Trackers{Ack: 2})
			}
		}, []uint64{1, 2}, 1},
		{"three synced", func() {
			for _, id := range []NodeID{a, b, c} {
				l.AdvanceTrackers(id, Trackers{Sync: 2})
			}
		}, []uint64{1, 2}, 1},
		{"all synced, a reads at 2", func() {
			l.AdvanceTrackers(d, Trackers{Sync: 2})
			if l.SyncMin() != 2 {
				t.Fatalf("sync min %d", l.SyncMin())
			}
			l.AdvanceTrackers(a, Trackers{SyncAck: 2})
		}, []uint64{1, 2}, 2},
		{"every node reads at 2", func() {
			for _, id := range []NodeID{b, c, d} {
				l.AdvanceTrackers(id, Trackers{SyncAck: 2})
			}
		}, []uint64{2}, 2},
	}
	for _, s := range steps {
		s.do()
		if got := l.WriteVersions(a); !slices.Equal(got, s.writes) {
			t.Errorf("%s: writes at %v, want %v", s.name, got, s.writes)
		}
		if got := l.ReadVersion(a); got != s.read {
			t.Errorf("%s: a reads at %d, want %d", s.name, got, s.read)
		}
	}
	if rf, ok := l.VersionReplicationFactor(1); !ok || rf != 3 {
		t.Fatalf("rf of version 1: %d %v", rf, ok)
	}
}

func TestTransitionRemovedNodeDoesNotBlock(t *testing.T) {
	l := mustLayout(t, 1)
	a, dead := testID(1), testID(2)
	mustStage(t, l, a, Role{Zone: "x", Capacity: 1e12})
	mustStage(t, l, dead, Role{Zone: "y", Capacity: 1e12})
	mustApply(t, l)
	l.AdvanceTrackers(a, all(1))
	if err := l.StageRemove(dead); err != nil {
		t.Fatal(err)
	}
	mustApply(t, l)
	l.AdvanceTrackers(a, all(2))
	if got := l.WriteVersions(a); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("writes at %v once the only node left caught up", got)
	}
}

func TestTrackersMergeAndEncode(t *testing.T) {
	l := mustLayout(t, 1)
	mustStage(t, l, testID(1), Role{Zone: "x", Capacity: 1e12})
	mustApply(t, l)
	x, y := l.Clone(), l.Clone()
	x.AdvanceTrackers(testID(1), Trackers{Ack: 1})
	y.AdvanceTrackers(testID(1), Trackers{Sync: 1})
	if x.AdvanceTrackers(testID(1), Trackers{Ack: 1}) {
		t.Fatal("advancing to the same value reported a change")
	}
	if x.AdvanceTrackers(testID(1), Trackers{Ack: 9}); x.Trackers(testID(1)).Ack != 1 {
		t.Fatal("a tracker went past the applied version")
	}
	m := x.Merge(y)
	if got := m.Trackers(testID(1)); got != (Trackers{Ack: 1, Sync: 1}) {
		t.Fatalf("merged trackers %+v", got)
	}
	if !m.Equal(y.Merge(x)) || x.Equal(m) {
		t.Fatal("tracker merge is not commutative, or trackers are not part of the digest")
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Layout
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.Trackers(testID(1)) != m.Trackers(testID(1)) {
		t.Fatalf("decoded trackers %+v", got.Trackers(testID(1)))
	}
}

func TestDecodeFormatWithoutTrackers(t *testing.T) {
	l := mustLayout(t, 1)
	mustStage(t, l, testID(1), Role{Zone: "x", Capacity: 1e12})
	mustApply(t, l)
	b, err := layoutEnc.Marshal(layoutWireV1{Applied: l.applied.wire(), Reverted: watermarks(l.reverted)})
	if err != nil {
		t.Fatal(err)
	}
	var got Layout
	if err := got.UnmarshalBinary(append([]byte{layoutFormatCBOR}, b...)); err != nil {
		t.Fatal(err)
	}
	if got.Version() != 1 || got.Trackers(testID(1)) != (Trackers{}) {
		t.Fatalf("decoded version %d trackers %+v", got.Version(), got.Trackers(testID(1)))
	}
}
