package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// testID returns a node id whose bytes start with n, for readable tests.
func testID(n int) NodeID {
	var id NodeID
	id[0], id[1] = byte(n>>8), byte(n)
	id[31] = 0xee
	return id
}

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func mustLayout(t testing.TB, rf int) *Layout {
	t.Helper()
	l, err := NewLayout(rf)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustStage(t testing.TB, l *Layout, id NodeID, r Role) {
	t.Helper()
	if err := l.Stage(id, r); err != nil {
		t.Fatal(err)
	}
}

func mustApply(t testing.TB, l *Layout) Plan {
	t.Helper()
	p, err := l.Apply(l.Version()+1, testTime.Add(time.Duration(l.Version())*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	checkAssignment(t, l)
	return p
}

// randomCluster stages 1..maxNodes storage nodes in 1..maxZones zones with
// random capacities (1..10 units of 100 GB), and sometimes a gateway.
func randomCluster(t testing.TB, rng *rand.Rand, l *Layout, maxNodes, maxZones int) {
	t.Helper()
	n := 1 + rng.IntN(maxNodes)
	z := 1 + rng.IntN(maxZones)
	for i := range n {
		mustStage(t, l, testID(i), Role{Zone: fmt.Sprintf("z%d", rng.IntN(z)), Capacity: uint64(1+rng.IntN(10)) * 100e9})
	}
	if rng.IntN(3) == 0 {
		mustStage(t, l, testID(900), Role{Zone: "z0", Gateway: true})
	}
}

// checkAssignment checks the invariants of the applied assignment: every
// partition has RF distinct storage nodes, no zone holds more replicas of
// a partition than needed, and each partition spans as many zones as the
// spread allows.
func checkAssignment(t testing.TB, l *Layout) {
	t.Helper()
	rf := l.ReplicationFactor()
	roles := l.Roles()
	zones := map[string]int{}
	for _, r := range roles {
		if !r.Gateway {
			zones[r.Zone]++
		}
	}
	zoneCap := 1
	for {
		s := 0
		for _, k := range zones {
			s += min(k, zoneCap)
		}
		if s >= rf {
			break
		}
		zoneCap++
	}
	for p := range NumPartitions {
		reps := l.Replicas(uint8(p))
		if len(reps) != rf {
			t.Fatalf("partition %d: %d replicas, want %d", p, len(reps), rf)
		}
		seen := map[NodeID]bool{}
		perZone := map[string]int{}
		for _, id := range reps {
			r, ok := roles[id]
			if !ok || r.Gateway {
				t.Fatalf("partition %d on %s, not a storage node", p, id.Short())
			}
			if seen[id] {
				t.Fatalf("partition %d: node %s twice", p, id.Short())
			}
			seen[id] = true
			perZone[r.Zone]++
		}
		for z, k := range perZone {
			if k > zoneCap {
				t.Fatalf("partition %d: %d replicas in zone %s, at most %d allowed", p, k, z, zoneCap)
			}
		}
		if len(zones) >= rf && len(perZone) != rf {
			t.Fatalf("partition %d: in %d zones, want %d distinct", p, len(perZone), rf)
		}
	}
}

func slicesSort(s []string) { slices.Sort(s) }
