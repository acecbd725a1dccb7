package table

import (
	"context"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// leasedNode is a Node that reports, with its answers, the read leases it
// granted (Remote; Local is handled apart).
type leasedNode interface {
	updateHolders(ctx context.Context, table string, values [][]byte) ([]uint64, Holders, error)
	// getHolders is Get, or getUnlessSame when d is set.
	getHolders(ctx context.Context, table string, pk, sk, d []byte) (v []byte, same bool, h Holders, err error)
}

var _ leasedNode = (*Remote)(nil)

// DefaultHolderWait is how long an operation waits for a read-lease
// holder's answer, on a node without leases of its own to take the
// length from, before it revokes the holder's lease.
const DefaultHolderWait = time.Second

// holderWait follows the read-lease holders the answers of one write or
// read list: the operation counts only once each of them answered, or
// lost its lease.
type holderWait[E Entry[E]] struct {
	t     *Table[E]
	nodes []Node
	index map[string]int // Node.ID -> position in nodes
	ok    []bool
	done  []bool
	// listedBy[j] are the nodes whose answers list node j as a holder.
	listedBy map[int][]int
	// allUntil: a replica that restarted less than a lease ago answered;
	// until then every replica counts as a holder.
	allUntil time.Time
	// marks are the dirty marks of this node's own update (writes).
	marks []markRef
}

func newHolderWait[E Entry[E]](t *Table[E], nodes []Node) *holderWait[E] {
	w := &holderWait[E]{t: t, nodes: nodes, index: make(map[string]int, len(nodes)), ok: make([]bool, len(nodes)), done: make([]bool, len(nodes))}
	for i, n := range nodes {
		w.index[n.ID()] = i
	}
	return w
}

// answered records node i's answer: ok, and the holders it listed.
func (w *holderWait[E]) answered(i int, ok bool, h Holders) {
	w.done[i] = true
	w.ok[i] = ok
	if !ok || h.empty() {
		return
	}
	for _, id := range h.Nodes {
		if j, found := w.index[id.String()]; found && j != i {
			if w.listedBy == nil {
				w.listedBy = map[int][]int{}
			}
			w.listedBy[j] = append(w.listedBy[j], i)
		}
	}
	if h.All > 0 {
		if until := time.Now().Add(h.All); until.After(w.allUntil) {
			w.allUntil = until
		}
	}
}

// missing returns the holders that have not answered successfully.
func (w *holderWait[E]) missing() []int {
	var out []int
	for j := range w.nodes {
		if !w.ok[j] && (len(w.listedBy[j]) > 0 || !w.allUntil.IsZero()) {
			out = append(out, j)
		}
	}
	return out
}

// holderPatience is how long to wait for a holder's answer.
func (t *Table[E]) holderPatience() time.Duration {
	if lz := t.local.leases; lz != nil {
		return lz.Duration() / 2
	}
	return DefaultHolderWait
}

// wait takes answers from next until every missing holder answered, or
// for at most the holder patience. A holder still missing then is
// revoked at the nodes that listed it, and wait returns once their grant
// ran out. next returns the index of the node that answered, whether it
// succeeded and the holders it listed; it fails when its ctx ends.
func (w *holderWait[E]) wait(ctx context.Context, next func(context.Context) (int, bool, Holders, error)) error {
	if len(w.missing()) == 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, w.t.holderPatience())
	for {
		miss := w.missing()
		pending := false
		for _, j := range miss {
			if !w.done[j] {
				pending = true
			}
		}
		if !pending {
			break
		}
		i, ok, h, err := next(wctx)
		if err != nil {
			if ctx.Err() != nil {
				cancel()
				return ctx.Err()
			}
			break // patience ran out
		}
		w.answered(i, ok, h)
	}
	cancel()
	miss := w.missing()
	if len(miss) == 0 {
		return nil
	}
	until := w.allUntil
	for _, j := range miss {
		id, err := cluster.ParseNodeID(w.nodes[j].ID())
		if err != nil {
			return fmt.Errorf("%w: read-lease holder %s: %w", ErrQuorum, w.nodes[j].ID(), err)
		}
		for _, g := range w.listedBy[j] {
			left, err := w.t.revokeAt(ctx, w.nodes[g], id)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrQuorum, err)
			}
			if u := time.Now().Add(left); u.After(until) {
				until = u
			}
		}
	}
	w.t.log.Debug("waiting out the read leases of replicas that did not answer", "table", w.t.schema.Name, "for", time.Until(until).Round(time.Millisecond), "holders", len(miss))
	timer := time.NewTimer(time.Until(until))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settleOwn clears the dirty marks of this node's own update, once the
// write counted.
func (w *holderWait[E]) settleOwn() {
	lz := w.t.local.leases
	if lz == nil {
		return
	}
	for _, m := range w.marks {
		lz.dirty.settledOwn(w.t.schema.Name, m.key, m.seq)
	}
}
