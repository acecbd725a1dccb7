package blockrepl

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// badCopies records OnBadCopy calls.
type badCopies struct {
	mu   sync.Mutex
	seen []cluster.NodeID
}

func (b *badCopies) hook(n cluster.NodeID, _ storage.Hash) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, n)
}

func (b *badCopies) nodes() []cluster.NodeID {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.seen)
}

// counterValue returns the value of the counter name in reg.
func counterValue(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func mustRead(t testing.TB, s *Store, h storage.Hash, want []byte) {
	t.Helper()
	got, release, err := s.ReadPooled(context.Background(), h)
	if err != nil {
		t.Fatalf("read %s: %v", h, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %s: %d bytes, not the block written", h, len(got))
	}
	release()
}

// mustWriteOn stores data directly on the given nodes' stores.
func mustWriteOn(t testing.TB, c *testCluster, data []byte, nodes ...cluster.NodeID) storage.Hash {
	t.Helper()
	var h storage.Hash
	for _, n := range nodes {
		var err error
		if h, err = c.stores[n].Write(context.Background(), data); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestReadLocalFastPath(t *testing.T) {
	c := mustCluster(t, 3)
	n1 := c.ids[0]
	data := testBlock("local ")
	h := mustWriteOn(t, c, data, c.ids...)
	s := c.store(t, n1, nil)
	mustRead(t, s, h, data)
	if calls := c.net.callsTo(MethodGet); len(calls) != 0 {
		t.Fatalf("a block held locally was fetched from %d remote nodes", len(calls))
	}
}

func TestReadFallsBackWhenNearestLacksBlock(t *testing.T) {
	c := mustCluster(t, 3)
	n1, n2, n3 := c.ids[0], c.ids[1], c.ids[2]
	data := testBlock("missing ")
	h := mustWriteOn(t, c, data, n3) // only the farthest replica has it
	s := c.store(t, n1, func(cfg *Config) {
		cfg.LocalZone = "a"
		cfg.Zone = func(n cluster.NodeID) string { return map[cluster.NodeID]string{n1: "a", n2: "a", n3: "b"}[n] }
	})
	mustRead(t, s, h, data)
	if got, want := c.net.callsTo(MethodGet), []cluster.NodeID{n2, n3}; !slices.Equal(got, want) {
		t.Fatalf("remote reads went to %v, want %v", got, want)
	}
}

func TestReadFallsBackOnCorruptCopies(t *testing.T) {
	c := mustCluster(t, 3)
	n1, n2, n3 := c.ids[0], c.ids[1], c.ids[2]
	data := testBlock("corrupt ")
	h := mustWriteOn(t, c, data, c.ids...)
	corruptBlock(t, c.stores[n1], h) // the local copy
	corruptBlock(t, c.stores[n2], h) // the nearest remote copy
	var bad badCopies
	reg := prometheus.NewRegistry()
	s := c.store(t, n1, func(cfg *Config) {
		cfg.OnBadCopy = bad.hook
		cfg.Registerer = reg
		cfg.RTT = func(n cluster.NodeID) (time.Duration, bool) {
			return map[cluster.NodeID]time.Duration{n2: time.Millisecond, n3: 50 * time.Millisecond}[n], n != n1
		}
	})
	mustRead(t, s, h, data)
	if got, want := bad.nodes(), []cluster.NodeID{n1, n2}; !slices.Equal(got, want) {
		t.Fatalf("bad copies reported on %v, want %v", got, want)
	}
	if v := counterValue(t, reg, "garageweb_block_corrupt_remote_total"); v != 1 {
		t.Fatalf("garageweb_block_corrupt_remote_total = %v, want 1 (the local copy is storage's to count)", v)
	}

	// With every copy corrupt: an error, never bytes.
	corruptBlock(t, c.stores[n3], h)
	got, _, err := s.ReadPooled(context.Background(), h)
	if !errors.Is(err, storage.ErrCorrupt) || !errors.Is(err, storage.ErrBlockNotFound) || errors.Is(err, ErrQuorum) || got != nil {
		t.Fatalf("read with every copy corrupt: %d bytes, err = %v", len(got), err)
	}
}

// lyingNode registers a block.get on id that answers ok with wrong bytes.
func lyingNode(c *testCluster, id cluster.NodeID) {
	c.net.registrar(id).Handle(MethodGet, func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
		return encodeResponse(statusOK, []byte("not the block you asked for")), nil
	})
}

func TestReadVerifiesRemoteAnswers(t *testing.T) {
	c := mustCluster(t, 3)
	n1, n2 := c.ids[0], c.ids[1]
	data := testBlock("liar ")
	h := mustWriteOn(t, c, data, c.ids...)
	lyingNode(c, n1)
	var bad badCopies
	s := c.store(t, nodeID(9), func(cfg *Config) { cfg.OnBadCopy = bad.hook })
	mustRead(t, s, h, data)
	if got := bad.nodes(); !slices.Equal(got, []cluster.NodeID{n1}) {
		t.Fatalf("bad copies reported on %v, want [n1]", got)
	}
	if got := c.net.callsTo(MethodGet); !slices.Equal(got, []cluster.NodeID{n1, n2}) {
		t.Fatalf("reads went to %v, want n1 then n2", got)
	}
}

func TestReadNotFoundAndUnavailable(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 3)
	s := c.store(t, c.ids[0], nil)
	h := storage.HashOf([]byte("never written"))

	_, _, err := s.ReadPooled(ctx, h)
	if !errors.Is(err, storage.ErrBlockNotFound) || errors.Is(err, ErrQuorum) || errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("read of a block no replica has: err = %v, want only ErrBlockNotFound", err)
	}

	// One replica unreachable: the block may be there, so ErrQuorum too.
	c.net.setDown(c.ids[2], true)
	c.net.resetCalls()
	_, _, err = s.ReadPooled(ctx, h)
	if !errors.Is(err, storage.ErrBlockNotFound) || !errors.Is(err, ErrQuorum) {
		t.Fatalf("read with a replica down: err = %v, want ErrBlockNotFound and ErrQuorum", err)
	}
	// And a dead node is not asked.
	if slices.Contains(c.net.callsTo(MethodGet), c.ids[2]) {
		t.Fatal("a node reported down was asked for a block")
	}

	// The caller's cancellation stops the fallback.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.ReadPooled(cctx, h); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context: err = %v", err)
	}
}

func TestReadAfterReplicatedWrite(t *testing.T) {
	// Every node reads what any node wrote, with one replica down at write
	// time, and concurrently (for the race detector).
	ctx := context.Background()
	c := mustCluster(t, 3)
	c.net.setDown(c.ids[1], true)
	writer := c.store(t, c.ids[0], nil)
	var hashes []storage.Hash
	var datas [][]byte
	for i := range 8 {
		data := testBlock(string(rune('a'+i)) + " replicated ")
		h, err := writer.Write(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		hashes, datas = append(hashes, h), append(datas, data)
	}
	writer.Wait()
	c.net.setDown(c.ids[1], false)
	var wg sync.WaitGroup
	for _, self := range append(slices.Clone(c.ids), nodeID(9)) {
		s := c.store(t, self, nil)
		for i := range hashes {
			wg.Go(func() { mustRead(t, s, hashes[i], datas[i]) })
		}
	}
	wg.Wait()
}
