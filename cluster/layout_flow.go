package cluster

import "container/heap"

// minCostFlow is a small min-cost flow solver (successive shortest paths
// with Dijkstra on reduced costs) used by the partition assignment. Costs
// must be non-negative on every edge with residual capacity when run
// starts, which holds when the only flow pushed beforehand is on zero-cost
// edges.
type minCostFlow struct {
	// Edges are stored in pairs: edge e and e^1 are reverses of each other.
	// head[u] is u's first edge, next[e] the one after e (-1 ends).
	edges []flowEdge
	next  []int
	head  []int
}

type flowEdge struct {
	from, to int
	cap      int // residual capacity
	cost     int
}

func newMinCostFlow(n, edgeHint int) *minCostFlow {
	f := &minCostFlow{head: make([]int, n), edges: make([]flowEdge, 0, 2*edgeHint), next: make([]int, 0, 2*edgeHint)}
	for i := range f.head {
		f.head[i] = -1
	}
	return f
}

// addEdge adds u→v and returns its edge number.
func (f *minCostFlow) addEdge(u, v, capacity, cost int) int {
	e := len(f.edges)
	f.edges = append(f.edges, flowEdge{from: u, to: v, cap: capacity, cost: cost}, flowEdge{from: v, to: u, cost: -cost})
	f.next = append(f.next, f.head[u], f.head[v])
	f.head[u], f.head[v] = e, e+1
	return e
}

// push sends amount along edge e, which must have the capacity.
func (f *minCostFlow) push(e, amount int) {
	f.edges[e].cap -= amount
	f.edges[e^1].cap += amount
}

// flowOn returns the flow on edge e (its reverse's capacity).
func (f *minCostFlow) flowOn(e int) int { return f.edges[e^1].cap }

// run augments from s to t along cheapest paths until want more units flow
// or no path is left, and returns the units it added.
func (f *minCostFlow) run(s, t, want int) int {
	n := len(f.head)
	pot := make([]int, n)
	dist := make([]int, n)
	done := make([]bool, n)
	level := make([]int, n)
	iter := make([]int, n)
	const inf = int(^uint(0) >> 2)
	added := 0
	pq := &distHeap{}
	for added < want {
		for v := range dist {
			dist[v], done[v] = inf, false
		}
		dist[s] = 0
		*pq = append((*pq)[:0], distItem{0, s})
		for pq.Len() > 0 {
			it := heap.Pop(pq).(distItem)
			u := it.node
			if done[u] {
				continue
			}
			done[u] = true
			if u == t {
				break
			}
			for ei := f.head[u]; ei >= 0; ei = f.next[ei] {
				e := &f.edges[ei]
				if e.cap == 0 || done[e.to] {
					continue
				}
				nd := dist[u] + e.cost + pot[u] - pot[e.to]
				if nd < dist[e.to] {
					dist[e.to] = nd
					heap.Push(pq, distItem{nd, e.to})
				}
			}
		}
		if !done[t] {
			break
		}
		// Keep reduced costs non-negative: shift potentials by the
		// distance found, capped at the distance to t for nodes Dijkstra
		// did not finish.
		for v := range pot {
			if dist[v] < dist[t] {
				pot[v] += dist[v]
			} else {
				pot[v] += dist[t]
			}
		}
		// Push as much as possible along every path of zero reduced
		// cost (all of them cheapest), Dinic style, before the next
		// Dijkstra.
		for added < want {
			if !f.levels(s, t, pot, level) {
				break
			}
			copy(iter, f.head)
			for added < want {
				got := f.augment(s, t, want-added, pot, level, iter)
				if got == 0 {
					break
				}
				added += got
			}
		}
	}
	return added
}

// admissible reports whether e has residual capacity and zero reduced cost.
func admissible(e *flowEdge, pot []int) bool {
	return e.cap > 0 && e.cost+pot[e.from]-pot[e.to] == 0
}

// levels computes BFS levels from s over admissible edges and reports
// whether t is reachable.
func (f *minCostFlow) levels(s, t int, pot, level []int) bool {
	for v := range level {
		level[v] = -1
	}
	level[s] = 0
	queue := []int{s}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for ei := f.head[u]; ei >= 0; ei = f.next[ei] {
			e := &f.edges[ei]
			if level[e.to] < 0 && admissible(e, pot) {
				level[e.to] = level[u] + 1
				queue = append(queue, e.to)
			}
		}
	}
	return level[t] >= 0
}

// augment pushes up to limit units along one admissible path that climbs
// the levels, and returns the units pushed (0 when blocked).
func (f *minCostFlow) augment(u, t, limit int, pot, level, iter []int) int {
	if u == t {
		return limit
	}
	for ; iter[u] >= 0; iter[u] = f.next[iter[u]] {
		e := &f.edges[iter[u]]
		if level[e.to] != level[u]+1 || !admissible(e, pot) {
			continue
		}
		if got := f.augment(e.to, t, min(limit, e.cap), pot, level, iter); got > 0 {
			f.push(iter[u], got)
			return got
		}
	}
	return 0
}

type distItem struct{ dist, node int }

// distHeap orders by distance, then node index, so runs are deterministic.
type distHeap []distItem

func (h distHeap) Len() int { return len(h) }
func (h distHeap) Less(i, j int) bool {
	if h[i].dist != h[j].dist {
		return h[i].dist < h[j].dist
	}
	return h[i].node < h[j].node
}
func (h distHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *distHeap) Push(x any)   { *h = append(*h, x.(distItem)) }
func (h *distHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
