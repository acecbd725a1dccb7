package cluster

import "container/heap"

// minCostFlow is a small min-cost flow solver (successive shortest paths
// with Dijkstra on reduced costs) used by the partition assignment. Costs
// must be non-negative on every edge with residual capacity when run
// starts, which holds when the only flow pushed beforehand is on zero-cost
// edges.
type minCostFlow struct {
	adj [][]flowEdge
}

type flowEdge struct {
	to, rev int // rev: index of the reverse edge in adj[to]
	cap     int // residual capacity
	cost    int
}

func newMinCostFlow(n int) *minCostFlow { return &minCostFlow{adj: make([][]flowEdge, n)} }

// addEdge adds u→v and returns its index in adj[u].
func (f *minCostFlow) addEdge(u, v, capacity, cost int) int {
	f.adj[u] = append(f.adj[u], flowEdge{to: v, rev: len(f.adj[v]), cap: capacity, cost: cost})
	f.adj[v] = append(f.adj[v], flowEdge{to: u, rev: len(f.adj[u]) - 1, cap: 0, cost: -cost})
	return len(f.adj[u]) - 1
}

// push sends amount along edge adj[u][i], which must have the capacity.
func (f *minCostFlow) push(u, i, amount int) {
	e := &f.adj[u][i]
	e.cap -= amount
	f.adj[e.to][e.rev].cap += amount
}

// flowOn returns the flow on edge adj[u][i] (the reverse edge's capacity).
func (f *minCostFlow) flowOn(u, i int) int {
	e := f.adj[u][i]
	return f.adj[e.to][e.rev].cap
}

// run augments from s to t along cheapest paths until want more units flow
// or no path is left, and returns the units it added.
func (f *minCostFlow) run(s, t, want int) int {
	n := len(f.adj)
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
			for _, e := range f.adj[u] {
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
			clear(iter)
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

// admissible reports whether e, leaving u, has residual capacity and zero
// reduced cost.
func admissible(u int, e flowEdge, pot []int) bool {
	return e.cap > 0 && e.cost+pot[u]-pot[e.to] == 0
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
		for _, e := range f.adj[u] {
			if level[e.to] < 0 && admissible(u, e, pot) {
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
	for ; iter[u] < len(f.adj[u]); iter[u]++ {
		e := f.adj[u][iter[u]]
		if level[e.to] != level[u]+1 || !admissible(u, e, pot) {
			continue
		}
		if got := f.augment(e.to, t, min(limit, e.cap), pot, level, iter); got > 0 {
			f.push(u, iter[u], got)
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
