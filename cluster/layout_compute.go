package cluster

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// The assignment algorithm.
//
// Inputs: the storage nodes (id, zone, capacity), the replication factor
// rf and the previous assignment. Output: for each partition rf distinct
// nodes. It runs in two steps, both deterministic:
//
//  1. Targets. zoneCap, the most replicas of one partition a zone may
//     hold, is the smallest c with Σ_zones min(c, nodes in zone) ≥ rf: 1
//     when there are at least rf zones (every replica in its own zone),
//     otherwise the most even cap the zones allow. (For rf ≤ 3 this gives
//     every partition min(rf, zones) distinct zones; for larger rf a
//     partition is only guaranteed ⌈rf/zoneCap⌉ zones: with rf 4 and zones
//     of 1, 3 and 3 nodes, zoneCap is 2 and a partition may sit 2+2 in two
//     zones.) A zone can then hold
//     at most NumPartitions·min(zoneCap, its nodes) replicas and a node at
//     most NumPartitions (one per partition). The NumPartitions·rf replicas
//     are shared in proportion to capacity under those caps (water
//     filling), and rounded to integers zone by zone, then node by node, by
//     largest remainder (ties go to the node that held more before, then
//     the lowest id). These targets are always feasible.
//  2. Placement. A min-cost flow source → partition (rf) → (partition,
//     zone) (zoneCap) → node (1) → sink (target), where a unit on
//     partition→node costs 0 if the node held the partition before and 1
//     otherwise. Every unit is a replica; the cost is the number of moved
//     replicas, and it is the least possible for these targets. Kept
//     replicas are pushed first (free), then cheapest paths fill the rest.
//
// Garage computes its assignment with a flow too; this one is written from
// the description above.

type storageNode struct {
	id       NodeID
	zone     int // index in the sorted zone names
	capacity uint64
}

type computed struct {
	assignment *Assignment
	targets    map[NodeID]int
	zoneCap    int
	zones      []string
	moves      int
}

// computeAssignment assigns the partitions to the storage nodes of roles.
func computeAssignment(roles map[NodeID]Role, rf int, prev *Assignment) (computed, error) {
	var nodes []storageNode
	zoneIdx := map[string]int{}
	var zones []string
	for _, r := range roles {
		if !r.Gateway {
			if _, ok := zoneIdx[r.Zone]; !ok {
				zoneIdx[r.Zone] = 0
				zones = append(zones, r.Zone)
			}
		}
	}
	slices.Sort(zones)
	for i, z := range zones {
		zoneIdx[z] = i
	}
	for id, r := range roles {
		if !r.Gateway {
			nodes = append(nodes, storageNode{id: id, zone: zoneIdx[r.Zone], capacity: r.Capacity})
		}
	}
	slices.SortFunc(nodes, func(a, b storageNode) int { return compareNodeID(a.id, b.id) })
	if len(nodes) < rf {
		return computed{}, fmt.Errorf("%w: %d storage nodes needed for replication factor %d, %d assigned",
			ErrNotEnoughNodes, rf, rf, len(nodes))
	}
	perZone := make([]int, len(zones))
	for _, n := range nodes {
		perZone[n.zone]++
	}
	zoneCap := 1
	for {
		total := 0
		for _, k := range perZone {
			total += min(zoneCap, k)
		}
		if total >= rf {
			break
		}
		zoneCap++
	}
	prevCount := map[NodeID]int{}
	if prev != nil {
		prevCount = prev.Counts()
	}
	targets := computeTargets(nodes, perZone, rf, zoneCap, prevCount)
	a, err := place(nodes, len(zones), rf, zoneCap, targets, prev)
	if err != nil {
		return computed{}, err
	}
	c := computed{assignment: a, targets: map[NodeID]int{}, zoneCap: zoneCap, zones: zones, moves: prev.Moves(a)}
	for i, n := range nodes {
		c.targets[n.id] = targets[i]
	}
	return c, nil
}

// computeTargets returns how many partitions each node (in nodes order)
// should hold; the sum is NumPartitions·rf.
func computeTargets(nodes []storageNode, perZone []int, rf, zoneCap int, prevCount map[NodeID]int) []int {
	const P = NumPartitions
	var maxCap uint64
	for _, n := range nodes {
		maxCap = max(maxCap, n.capacity)
	}
	w := make([]float64, len(nodes)) // capacities scaled to (0, 1]
	minW := 1.0
	for i, n := range nodes {
		w[i] = float64(n.capacity) / float64(maxCap)
		minW = min(minW, w[i])
	}
	zoneLimit := make([]float64, len(perZone))
	for z, k := range perZone {
		zoneLimit[z] = float64(P * min(zoneCap, k))
	}
	zoneSum := func(z int, lambda float64) float64 {
		s := 0.0
		for i, n := range nodes {
			if n.zone == z {
				s += min(P, lambda*w[i])
			}
		}
		return s
	}
	total := func(lambda float64) float64 {
		s := 0.0
		for z := range perZone {
			s += min(zoneLimit[z], zoneSum(z, lambda))
		}
		return s
	}
	want := float64(P * rf)
	lambda := bisect(0, P/minW, func(x float64) bool { return total(x) >= want })

	// Real-valued shares: a zone at its limit shares the limit among its
	// nodes with its own (smaller) factor.
	x := make([]float64, len(nodes))
	zoneFactor := make([]float64, len(perZone))
	for z := range perZone {
		zoneFactor[z] = lambda
		if zoneSum(z, lambda) > zoneLimit[z] {
			zoneFactor[z] = bisect(0, lambda, func(m float64) bool { return zoneSum(z, m) >= zoneLimit[z] })
		}
	}
	zoneX := make([]float64, len(perZone))
	for i, n := range nodes {
		x[i] = min(P, zoneFactor[n.zone]*w[i])
		zoneX[n.zone] += x[i]
	}

	// Round the zones, then the nodes of each zone.
	zonePrev := make([]int, len(perZone))
	zoneMax := make([]int, len(perZone))
	for _, n := range nodes {
		zonePrev[n.zone] += prevCount[n.id]
	}
	for z, k := range perZone {
		zoneMax[z] = P * min(zoneCap, k)
	}
	zoneT := apportion(P*rf, zoneX, zoneMax, zonePrev)
	out := make([]int, len(nodes))
	for z := range perZone {
		var idx []int
		for i, n := range nodes {
			if n.zone == z {
				idx = append(idx, i)
			}
		}
		xs, caps, prevs := make([]float64, len(idx)), make([]int, len(idx)), make([]int, len(idx))
		for j, i := range idx {
			xs[j], caps[j], prevs[j] = x[i], P, prevCount[nodes[i].id]
		}
		for j, v := range apportion(zoneT[z], xs, caps, prevs) {
			out[idx[j]] = v
		}
	}
	return out
}

// bisect returns (approximately) the smallest x in [lo, hi] with ok(x),
// for a monotone ok that holds at hi.
func bisect(lo, hi float64, ok func(float64) bool) float64 {
	for range 200 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// apportion rounds the shares x to integers summing to total, each within
// [0, caps[i]], by largest remainder. Ties go to the larger prev, then to
// the lower index: see the sort below. It needs Σ caps ≥ total.
func apportion(total int, x []float64, caps, prev []int) []int {
	out := make([]int, len(x))
	sum := 0
	for i, v := range x {
		if r := math.Round(v); math.Abs(v-r) < 1e-6 {
			v = r // float noise around an integer share
			x[i] = v
		}
		out[i] = min(caps[i], max(0, int(math.Floor(v))))
		sum += out[i]
	}
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	// Up: the largest missing share first. Down (only after float noise):
	// the largest excess first.
	for sum != total {
		up := sum < total
		slices.SortStableFunc(order, func(a, b int) int {
			da, db := x[a]-float64(out[a]), x[b]-float64(out[b])
			if !up {
				da, db = -da, -db
			}
			if c := cmp.Compare(db, da); c != 0 {
				return c
			}
			// Ties: the one that held more than its rounded share before
			// keeps it (so re-applying the same roles changes nothing).
			ea, eb := prev[a]-out[a], prev[b]-out[b]
			if up {
				return cmp.Compare(eb, ea)
			}
			return cmp.Compare(ea, eb)
		})
		changed := false
		for _, i := range order {
			if sum == total {
				break
			}
			if up && out[i] < caps[i] && x[i]-float64(out[i]) > 0 {
				out[i]++
				sum++
				changed = true
			} else if !up && out[i] > 0 && float64(out[i])-x[i] > 0 {
				out[i]--
				sum--
				changed = true
			}
		}
		if !changed {
			// No share left to round: take any node with room.
			for _, i := range order {
				if up && out[i] < caps[i] {
					out[i]++
					sum++
					break
				} else if !up && out[i] > 0 {
					out[i]--
					sum--
					break
				}
			}
		}
	}
	return out
}

// place runs the min-cost flow that turns targets into an assignment.
func place(nodes []storageNode, numZones, rf, zoneCap int, targets []int, prev *Assignment) (*Assignment, error) {
	const P = NumPartitions
	src, sink := 0, 1
	partNode := func(p int) int { return 2 + p }
	pzNode := func(p, z int) int { return 2 + P + p*numZones + z }
	nodeNode := func(i int) int { return 2 + P + P*numZones + i }
	f := newMinCostFlow(2+P+P*numZones+len(nodes), P*(1+numZones+len(nodes))+len(nodes))

	srcEdge := make([]int, P)
	pzEdge := make([][]int, P)   // [p][z]: edge partition → (p, z)
	nodeEdge := make([][]int, P) // [p][i]: edge (p, zone of i) → node i
	sinkEdge := make([]int, len(nodes))
	index := map[NodeID]int{}
	for i, n := range nodes {
		index[n.id] = i
	}
	for p := range P {
		srcEdge[p] = f.addEdge(src, partNode(p), rf, 0)
		pzEdge[p] = make([]int, numZones)
		for z := range numZones {
			pzEdge[p][z] = f.addEdge(partNode(p), pzNode(p, z), zoneCap, 0)
		}
		nodeEdge[p] = make([]int, len(nodes))
		for i, n := range nodes {
			cost := 1
			if prev != nil && prev.Holds(n.id, uint8(p)) {
				cost = 0
			}
			nodeEdge[p][i] = f.addEdge(pzNode(p, n.zone), nodeNode(i), 1, cost)
		}
	}
	for i := range nodes {
		sinkEdge[i] = f.addEdge(nodeNode(i), sink, targets[i], 0)
	}

	// Keep what can be kept, for free.
	kept := 0
	if prev != nil {
		for p := range P {
			for _, id := range prev.parts[p] {
				i, ok := index[id]
				if !ok {
					continue
				}
				z := nodes[i].zone
				if f.edges[srcEdge[p]].cap == 0 || f.edges[pzEdge[p][z]].cap == 0 || f.edges[sinkEdge[i]].cap == 0 {
					continue
				}
				for _, e := range []int{srcEdge[p], pzEdge[p][z], nodeEdge[p][i], sinkEdge[i]} {
					f.push(e, 1)
				}
				kept++
			}
		}
	}
	want := P * rf
	if got := kept + f.run(src, sink, want-kept); got != want {
		// Cannot happen with targets from computeTargets.
		return nil, fmt.Errorf("layout: assignment placed %d of %d partition replicas", got, want)
	}
	a := &Assignment{}
	for p := range P {
		for i, n := range nodes {
			if f.flowOn(nodeEdge[p][i]) > 0 {
				a.parts[p] = append(a.parts[p], n.id)
			}
		}
	}
	return a, nil
}
