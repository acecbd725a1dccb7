package cluster

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLayoutThreeZones(t *testing.T) {
	l := mustLayout(t, 3)
	for i, z := range []string{"par", "lon", "bru"} {
		mustStage(t, l, testID(i), Role{Zone: z, Capacity: 1e12})
	}
	mustStage(t, l, testID(3), Role{Zone: "par", Capacity: 2e12})
	mustStage(t, l, testID(9), Role{Zone: "par", Gateway: true})
	start := time.Now()
	p := mustApply(t, l)
	t.Logf("apply took %v", time.Since(start))
	if p.Version != 1 || l.Version() != 1 || p.Moves != 0 {
		t.Fatalf("version %d/%d moves %d", p.Version, l.Version(), p.Moves)
	}
	c := l.Assignment().Counts()
	// par holds one replica of every partition, shared 1:2.
	if c[testID(1)] != 256 || c[testID(2)] != 256 || c[testID(0)]+c[testID(3)] != 256 {
		t.Fatalf("counts %v", c)
	}
	if d := c[testID(3)] - 2*c[testID(0)]; d < -2 || d > 2 {
		t.Fatalf("par nodes 1:2 capacity, got %d and %d", c[testID(0)], c[testID(3)])
	}
	if got := l.Gateways(); len(got) != 1 || got[0] != testID(9) {
		t.Fatalf("gateways %v", got)
	}
	if got := l.StorageNodes(); len(got) != 4 {
		t.Fatalf("storage nodes %v", got)
	}
	t.Logf("partition size %s, usable %s", FormatCapacity(p.PartitionSize), FormatCapacity(p.UsableCapacity))
	if p.UsableCapacity > 1e12 || p.UsableCapacity < 99e10 {
		t.Fatalf("usable %d, want about 1 TB (lon and bru hold a copy of everything)", p.UsableCapacity)
	}
}

func TestLayoutNotEnoughNodes(t *testing.T) {
	l := mustLayout(t, 3)
	mustStage(t, l, testID(1), Role{Zone: "a", Capacity: 1e12})
	mustStage(t, l, testID(2), Role{Zone: "b", Capacity: 1e12})
	mustStage(t, l, testID(3), Role{Zone: "b", Gateway: true})
	_, err := l.Preview()
	if !errors.Is(err, ErrNotEnoughNodes) || !strings.Contains(err.Error(), "3 storage nodes needed for replication factor 3, 2 assigned") {
		t.Fatalf("err = %v", err)
	}
	if _, err := l.Apply(1, testTime); !errors.Is(err, ErrNotEnoughNodes) {
		t.Fatalf("apply err = %v", err)
	}
	if l.Version() != 0 || !l.HasStagedChanges() {
		t.Fatal("failed apply changed the layout")
	}
}

func TestLayoutApplyVersion(t *testing.T) {
	l := mustLayout(t, 1)
	mustStage(t, l, testID(1), Role{Zone: "a", Capacity: 1e12})
	for _, v := range []uint64{0, 2} {
		if _, err := l.Apply(v, testTime); !errors.Is(err, ErrVersionMismatch) || !strings.Contains(err.Error(), "apply version 1") {
			t.Fatalf("apply %d: %v", v, err)
		}
	}
	mustApply(t, l)
	if _, err := l.Apply(1, testTime); !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("apply 1 again: %v", err)
	}
}

func TestLayoutStaging(t *testing.T) {
	l := mustLayout(t, 2)
	if err := l.Stage(testID(1), Role{Zone: "a"}); !errors.Is(err, ErrInvalidRole) {
		t.Fatalf("no capacity: %v", err)
	}
	if err := l.Stage(testID(1), Role{Zone: "", Capacity: 1}); !errors.Is(err, ErrInvalidRole) {
		t.Fatalf("no zone: %v", err)
	}
	if err := l.Stage(testID(1), Role{Zone: "a", Capacity: 1, Gateway: true}); !errors.Is(err, ErrInvalidRole) {
		t.Fatalf("gateway with capacity: %v", err)
	}
	if err := l.StageRemove(testID(1)); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("remove unknown: %v", err)
	}
	if err := l.StageReplicationFactor(8); !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Fatalf("rf 8: %v", err)
	}
	mustStage(t, l, testID(1), Role{Zone: "a", Capacity: 1e12})
	mustStage(t, l, testID(2), Role{Zone: "b", Capacity: 1e12})
	if err := l.StageReplicationFactor(1); err != nil {
		t.Fatal(err)
	}
	l.Revert()
	if l.HasStagedChanges() {
		t.Fatal("revert left staged changes")
	}
	mustStage(t, l, testID(1), Role{Zone: "a", Capacity: 1e12})
	mustStage(t, l, testID(2), Role{Zone: "b", Capacity: 1e12})
	mustStage(t, l, testID(3), Role{Zone: "c", Capacity: 1e12})
	if err := l.StageRemove(testID(3)); err != nil { // staged only: fine
		t.Fatal(err)
	}
	p := mustApply(t, l)
	if len(p.Nodes) != 2 || l.HasStagedChanges() || len(p.Changes) != 3 {
		t.Fatalf("plan %+v", p)
	}
	if err := l.StageReplicationFactor(1); err != nil {
		t.Fatal(err)
	}
	if err := l.StageRemove(testID(2)); err != nil {
		t.Fatal(err)
	}
	p = mustApply(t, l)
	if l.ReplicationFactor() != 1 || len(l.StorageNodes()) != 1 || p.Moves != 0 {
		t.Fatalf("rf %d nodes %v moves %d", l.ReplicationFactor(), l.StorageNodes(), p.Moves)
	}
	if h := l.History(); len(h) != 2 || h[1].Version != 2 || h[0].ReplicationFactor != 2 || !h[1].AppliedAt.After(h[0].AppliedAt) {
		t.Fatalf("history %+v", h)
	}
	if reps, ok := l.ReplicasAt(1, 7); !ok || len(reps) != 2 {
		t.Fatalf("replicas at version 1: %v %v", reps, ok)
	}
}

func TestLayoutHistoryPruned(t *testing.T) {
	l := mustLayout(t, 1)
	for i := range HistoryAssignmentsKept + 3 {
		mustStage(t, l, testID(i), Role{Zone: "a", Capacity: 1e12})
		mustApply(t, l)
		// Every node reads at the new version: the old ones may go.
		for j := range i + 1 {
			l.AdvanceTrackers(testID(j), Trackers{Ack: l.Version(), Sync: l.Version(), SyncAck: l.Version()})
		}
	}
	h := l.History()
	for i, e := range h {
		if want := i >= len(h)-HistoryAssignmentsKept; (e.Assignment != nil) != want {
			t.Fatalf("entry %d (version %d): assignment kept %v, want %v", i, e.Version, e.Assignment != nil, want)
		}
		if e.Version != uint64(i+1) || len(e.StorageNodes) != i+1 {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	if _, ok := l.ReplicasAt(1, 0); ok {
		t.Fatal("version 1 still answers")
	}
	if got := l.Replicas(0); len(got) != 1 {
		t.Fatalf("replicas %v", got)
	}
}

func TestPartition(t *testing.T) {
	var h [32]byte
	h[0], h[1] = 0xab, 0xff
	if Partition(h) != 0xab {
		t.Fatal(Partition(h))
	}
}

func TestLayoutZeroValue(t *testing.T) {
	var l Layout
	if l.ReplicationFactor() != DefaultReplicationFactor || l.Version() != 0 || l.Replicas(3) != nil {
		t.Fatal("zero layout")
	}
	if !l.Equal(mustLayout(t, DefaultReplicationFactor)) {
		t.Fatal("zero layout differs from NewLayout(DefaultReplicationFactor)")
	}
	for i := range 3 {
		mustStage(t, &l, testID(i), Role{Zone: string(rune('a' + i)), Capacity: 1e12})
	}
	mustApply(t, &l)
	var m Layout
	if got := m.Merge(&l); !got.Equal(&l) {
		t.Fatal("merge into zero layout")
	}
}
