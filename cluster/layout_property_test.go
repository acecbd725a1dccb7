package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// propertyRuns is the number of random clusters each property test tries
// (1000 were run once while writing them, all passing).
func propertyRuns() int {
	if testing.Short() {
		return 20
	}
	return 100
}

// zoneCapOf recomputes, from the roles alone, the most replicas of one
// partition a zone may hold.
func zoneCapOf(roles map[NodeID]Role, rf int) (perZone map[string]int, zoneCap int) {
	perZone = map[string]int{}
	for _, r := range roles {
		if !r.Gateway {
			perZone[r.Zone]++
		}
	}
	for zoneCap = 1; ; zoneCap++ {
		s := 0
		for _, k := range perZone {
			s += min(k, zoneCap)
		}
		if s >= rf {
			return perZone, zoneCap
		}
	}
}

// randomApplied builds and applies a random cluster with enough storage
// nodes for a random RF of 1..3.
func randomApplied(t *testing.T, rng *rand.Rand) *Layout {
	t.Helper()
	for {
		rf := 1 + rng.IntN(3)
		l := mustLayout(t, rf)
		randomCluster(t, rng, l, 10, 4)
		if len(storageOf(l)) < rf {
			continue
		}
		mustApply(t, l)
		return l
	}
}

func storageOf(l *Layout) []NodeID {
	roles, _ := l.proposed()
	var out []NodeID
	for id, r := range roles {
		if !r.Gateway {
			out = append(out, id)
		}
	}
	return out
}

func TestLayoutPropertyAssignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range propertyRuns() {
		l := randomApplied(t, rng) // checks RF distinct nodes and zone spread
		checkCapacityShare(t, l, fmt.Sprintf("run %d", run))
	}
}

// checkCapacityShare checks that partitions follow capacity: two nodes
// that are not capped (a node holds every partition at most once; a zone
// at most zoneCap replicas of each) hold partitions in the ratio of their
// capacities, up to rounding.
func checkCapacityShare(t *testing.T, l *Layout, what string) {
	t.Helper()
	roles := l.Roles()
	perZone, zoneCap := zoneCapOf(roles, l.ReplicationFactor())
	counts := l.Assignment().Counts()
	zoneSum := map[string]int{}
	for id, n := range counts {
		zoneSum[roles[id].Zone] += n
	}
	free := func(id NodeID) bool {
		z := roles[id].Zone
		return counts[id] < NumPartitions && zoneSum[z] < NumPartitions*min(zoneCap, perZone[z])
	}
	ids := l.StorageNodes()
	for _, a := range ids {
		for _, b := range ids {
			if a == b || !free(a) || !free(b) {
				continue
			}
			ratio := float64(roles[a].Capacity) / float64(roles[b].Capacity)
			if float64(counts[a]) > ratio*float64(counts[b]+1)+1 {
				t.Fatalf("%s: node %s (%s) holds %d partitions, node %s (%s) %d: not proportional to capacity",
					what, a.Short(), roles[a], counts[a], b.Short(), roles[b], counts[b])
			}
		}
	}
	// Within one zone, every node (capped or not) gets its share.
	for _, a := range ids {
		for _, b := range ids {
			if a == b || roles[a].Zone != roles[b].Zone || counts[a] == NumPartitions || counts[b] == NumPartitions {
				continue
			}
			ratio := float64(roles[a].Capacity) / float64(roles[b].Capacity)
			if float64(counts[a]) > ratio*float64(counts[b]+1)+1 {
				t.Fatalf("%s: zone %s: node %s holds %d, node %s %d: not proportional to capacity",
					what, roles[a].Zone, a.Short(), counts[a], b.Short(), counts[b])
			}
		}
	}
}

func TestLayoutPropertyReapplyMovesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for run := range propertyRuns() {
		l := randomApplied(t, rng)
		before := l.Assignment()
		// Stage the same roles again, and apply.
		for id, r := range l.Roles() {
			mustStage(t, l, id, r)
		}
		p := mustApply(t, l)
		if p.Moves != 0 || !before.Equal(l.Assignment()) {
			t.Fatalf("run %d: re-applying the same roles moved %d replicas", run, p.Moves)
		}
	}
}

func TestLayoutPropertyDeterministic(t *testing.T) {
	for run := range propertyRuns() {
		seed := uint64(run)
		a := randomApplied(t, rand.New(rand.NewPCG(seed, 5)))
		b := randomApplied(t, rand.New(rand.NewPCG(seed, 5)))
		if !a.Assignment().Equal(b.Assignment()) || a.Digest() != b.Digest() {
			t.Fatalf("run %d: same inputs, different layouts", run)
		}
		// And a second step from the same state, staged in another order.
		ida, idb := testID(500), testID(501)
		ra := Role{Zone: "z0", Capacity: 3e11}
		rb := Role{Zone: "z9", Capacity: 7e11}
		mustStage(t, a, ida, ra)
		mustStage(t, a, idb, rb)
		mustStage(t, b, idb, rb)
		mustStage(t, b, ida, ra)
		pa, pb := mustApply(t, a), mustApply(t, b)
		if !pa.Assignment.Equal(pb.Assignment) || pa.Moves != pb.Moves {
			t.Fatalf("run %d: second step differs", run)
		}
	}
}

// TestLayoutPropertyAddNodeMoves adds one storage node to a balanced
// layout: the replicas that move are those the new node takes plus those
// the rounding of the other nodes' shares moves, and little more.
func TestLayoutPropertyAddNodeMoves(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worst, worstRatio := 0, 0.0
	for run := range propertyRuns() {
		l := randomApplied(t, rng)
		roles := l.Roles()
		rf := l.ReplicationFactor()
		perZone, zoneCap := zoneCapOf(roles, rf)
		zones := make([]string, 0, len(perZone))
		for z := range perZone {
			zones = append(zones, z)
		}
		slicesSort(zones)
		newRole := Role{Zone: zones[rng.IntN(len(zones))], Capacity: uint64(1+rng.IntN(10)) * 100e9}
		roles[testID(777)] = newRole
		if _, c := zoneCapOf(roles, rf); c != zoneCap {
			continue // the zone spread changes: many moves are then required
		}
		before := l.Assignment().Counts()
		mustStage(t, l, testID(777), newRole)
		p := mustApply(t, l)
		checkCapacityShare(t, l, fmt.Sprintf("run %d after adding a node", run))
		// Every partition a node gains is a move: that is the least
		// possible for these shares.
		gained := 0
		for _, n := range p.Nodes {
			gained += max(0, n.Partitions-before[n.ID])
		}
		share := p.Assignment.Counts()[testID(777)]
		if gained < share {
			t.Fatalf("run %d: gained %d < share %d", run, gained, share)
		}
		extra := p.Moves - gained
		worst = max(worst, extra)
		if share > 0 {
			worstRatio = max(worstRatio, float64(p.Moves)/float64(share))
		}
		// Bound: the new node's share, plus what zone constraints force
		// (a zone that gains a share must take partitions it did not
		// hold, whose other replicas must shift: a chain of swaps), never
		// more than half the share again plus a few per node.
		if p.Moves > share+share/2+2*len(p.Nodes) {
			t.Fatalf("run %d: adding a node with share %d moved %d replicas (%d gained by nodes, %d extra, %d nodes)",
				run, share, p.Moves, gained, extra, len(p.Nodes))
		}
	}
	t.Logf("worst: %d moves beyond the partitions gained, %.2f× the new node's share", worst, worstRatio)
}
