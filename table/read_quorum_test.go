package table

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garage-web/garage-web/table/crdt"
)

// probe wraps a node: it counts reads, fails them while fail is set, and
// holds them until their context ends while stall is set.
type probe struct {
	Node
	reads   atomic.Int64
	fail    atomic.Bool
	stall   atomic.Bool
	stopped chan struct{} // closed when a stalled read gives up
}

func (p *probe) read(ctx context.Context) error {
	p.reads.Add(1)
	if p.fail.Load() {
		return errDown
	}
	if p.stall.Load() {
		<-ctx.Done()
		close(p.stopped)
		return ctx.Err()
	}
	return nil
}

func (p *probe) Get(ctx context.Context, t string, pk, sk []byte) ([]byte, error) {
	if err := p.read(ctx); err != nil {
		return nil, err
	}
	return p.Node.Get(ctx, t, pk, sk)
}

func (p *probe) Range(ctx context.Context, t string, pk []byte, q RangeQuery) ([][]byte, error) {
	if err := p.read(ctx); err != nil {
		return nil, err
	}
	return p.Node.Range(ctx, t, pk, q)
}

// probed returns a table of node 0 reading three replicas through probes,
// quorums 2/2, with the given hedge delay; the key ("b", "k") holds "v" on
// every replica.
func probed(t *testing.T, hedge time.Duration) (*Table[counter], []*probe) {
	t.Helper()
	tables, nodes := cluster3(t)
	enc, err := encodeCounter(counter{PK: "b", SK: "k", V: crdt.NewLWW(1, "v")})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes { // every replica, before reading
		if _, err := n.Node.Update(context.Background(), "counters", [][]byte{enc}); err != nil {
			t.Fatal(err)
		}
	}
	var probes []*probe
	var all []Node
	for _, n := range nodes {
		p := &probe{Node: n.Node, stopped: make(chan struct{})}
		probes = append(probes, p)
		all = append(all, p)
	}
	tb := &Table[counter]{schema: tables[0].schema, local: tables[0].local, placement: fixedPlacement{nodes: all, rq: 2, wq: 2}, log: tables[0].log, hedge: hedge}
	return tb, probes
}

func reads(ps []*probe) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.reads.Load()
	}
	return out
}

// TestReadAsksOnlyAQuorum checks that a read asks the first read quorum of
// the preferred replicas, not every replica.
func TestReadAsksOnlyAQuorum(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tb, ps := probed(t, time.Hour) // the hedge never fires
	got, ok, err := tb.Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v" {
		t.Fatalf("get: %+v %v %v", got, ok, err)
	}
	if r := reads(ps); r[0] != 1 || r[1] != 1 || r[2] != 0 {
		t.Fatalf("get: reads per replica %v, want [1 1 0]", r)
	}
	es, err := tb.Range(ctx, []byte("b"), RangeQuery{})
	if err != nil || len(es) != 1 {
		t.Fatalf("range: %+v %v", es, err)
	}
	if r := reads(ps); r[0] != 2 || r[1] != 2 || r[2] != 0 {
		t.Fatalf("after range: reads per replica %v, want [2 2 0]", r)
	}
}

// TestReadReplacesAFailedReplica checks that a replica that fails is
// replaced by the next one at once, without waiting for the hedge.
func TestReadReplacesAFailedReplica(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tb, ps := probed(t, time.Hour)
	ps[1].fail.Store(true)
	got, ok, err := tb.Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v" {
		t.Fatalf("get with n1 failing: %+v %v %v", got, ok, err)
	}
	if r := reads(ps); r[0] != 1 || r[1] != 1 || r[2] != 1 {
		t.Fatalf("reads per replica %v, want [1 1 1]", r)
	}
	ps[2].fail.Store(true)
	if _, _, err := tb.Get(ctx, []byte("b"), []byte("k")); !errors.Is(err, ErrQuorum) || !errors.Is(err, errDown) {
		t.Fatalf("get with two replicas failing: %v, want ErrQuorum wrapping their errors", err)
	}
}

// TestReadHedgesAStalledReplica checks that a read whose nearest replica
// never answers asks the others after the hedge delay, returns from them,
// and cancels the stalled call.
func TestReadHedgesAStalledReplica(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tb, ps := probed(t, time.Millisecond)
	ps[1].stall.Store(true)
	got, ok, err := tb.Get(ctx, []byte("b"), []byte("k"))
	if err != nil || !ok || got.V.Value != "v" {
		t.Fatalf("get with n1 stalled: %+v %v %v", got, ok, err)
	}
	if r := reads(ps); r[0] != 1 || r[1] != 1 || r[2] != 1 {
		t.Fatalf("reads per replica %v, want [1 1 1]", r)
	}
	select {
	case <-ps[1].stopped:
	case <-ctx.Done():
		t.Fatal("the stalled read was not canceled when the quorum answered")
	}
}
