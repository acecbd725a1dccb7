package model

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// replicaPlacement puts every partition on the same nodes.
type replicaPlacement struct {
	nodes  []table.Node
	rq, wq int
}

func (p replicaPlacement) Nodes(table.PartitionHash) []table.Node { return p.nodes }
func (p replicaPlacement) ReadQuorum() int                        { return p.rq }
func (p replicaPlacement) WriteQuorum() int                       { return p.wq }

// fanoutBlocks writes every block to all the nodes' stores and reads it
// from its own.
type fanoutBlocks struct {
	own *storage.BlockStore
	all []*storage.BlockStore
}

func (f fanoutBlocks) Write(ctx context.Context, data []byte) (storage.Hash, error) {
	var h storage.Hash
	for _, bs := range f.all {
		var err error
		if h, err = bs.Write(ctx, data); err != nil {
			return h, err
		}
	}
	return h, nil
}

func (f fanoutBlocks) ReadPooled(ctx context.Context, h storage.Hash) ([]byte, func(), error) {
	return f.own.ReadPooled(ctx, h)
}

// replicaEnv is three in-process nodes, each with its own database, block
// store and model over tables replicated on all three.
type replicaEnv struct {
	envs []testEnv
}

// newReplicaEnv opens three nodes whose models stamp with the clocks
// given (nil: the wall clock). Writes are acknowledged by all three
// replicas (quorum 3), so every replica holds every write when a call
// returns and the queues can be run to the end.
func newReplicaEnv(t testing.TB, nows ...func() time.Time) replicaEnv {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var re replicaEnv
	var stores []*storage.BlockStore
	var nodes []table.Node
	for i := range 3 {
		db, err := storage.OpenDB(filepath.Join(dir, fmt.Sprint(i), "meta"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		bs, err := storage.OpenBlockStore(filepath.Join(dir, fmt.Sprint(i), "data"), 0)
		if err != nil {
			t.Fatal(err)
		}
		refs, err := storage.NewRefCounts(db, bs)
		if err != nil {
			t.Fatal(err)
		}
		local, err := table.NewLocal(fmt.Sprint("n", i), db, log)
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, bs)
		nodes = append(nodes, local)
		re.envs = append(re.envs, testEnv{local: local, blocks: bs, refs: refs})
	}
	p := replicaPlacement{nodes: nodes, rq: 1, wq: 3}
	locker := &table.LocalLocker{}
	for i := range re.envs {
		var now func() time.Time
		if i < len(nows) {
			now = nows[i]
		}
		m, err := Open(Config{BlockSize: 64 << 10, MinPartSize: 1}, re.envs[i].local, p,
			fanoutBlocks{own: stores[i], all: stores}, re.envs[i].refs, crdt.NewClock(now), locker, log)
		if err != nil {
			t.Fatal(err)
		}
		re.envs[i].m = m
	}
	return re
}

// settle runs every node's queue until all are empty, then collects on
// every node the blocks nobody references.
func (re replicaEnv) settle(t testing.TB) {
	t.Helper()
	for range 100 {
		pending := 0
		for _, e := range re.envs {
			pending += e.local.Queue().Len()
			if _, err := e.local.Queue().RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if pending == 0 {
			break
		}
	}
	for i, e := range re.envs {
		if n := e.local.Queue().Len(); n > 0 {
			t.Fatalf("node %d: queue still holds %d tasks", i, n)
		}
		e.collect(t)
	}
}

// TestPutAfterFasterClock: a node whose clock is an hour behind the node
// that wrote the current version still stamps its PUT after it (inline
// and one-block objects, written without reading first), the version it
// answers reads back whole from every node, and no block that version
// uses is collected.
func TestPutAfterFasterClock(t *testing.T) {
	ctx := context.Background()
	// The slow node learns the fast one's time as it goes: each round the
	// fast clock is an hour further ahead.
	var hoursAhead atomic.Int64
	ahead := func() time.Time { return time.Now().Add(time.Duration(hoursAhead.Load()) * time.Hour) }
	re := newReplicaEnv(t, ahead, nil, nil)
	fast, slow := re.envs[0].m, re.envs[1].m
	for _, size := range []int{20, 40 << 10} {
		hoursAhead.Add(1)
		key := fmt.Sprint("k", size)
		old := partData(1, size)
		newer := partData(2, size)
		first := put(t, fast, "b", key, old)
		// The slow node's first attempt is stamped before the current
		// version: it is refused (503, retry), not acknowledged; the
		// retry is stamped after what the refusal showed.
		sum := md5.Sum(newer)
		_, err := slow.PutObject(ctx, PutObjectInput{BucketID: "b", Key: key, Body: bytes.NewReader(newer), Size: int64(len(newer)),
			Digest: func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }})
		if !errors.Is(err, ErrWriteRace) {
			t.Fatalf("size %d: PUT stamped before the current version: err %v, want ErrWriteRace", size, err)
		}
		second := put(t, slow, "b", key, newer)
		if second.TS <= first.TS {
			t.Fatalf("size %d: second PUT stamped %d, not after the first (%d)", size, second.TS, first.TS)
		}
		re.settle(t)
		for i, e := range re.envs {
			v, err := e.m.HeadObject(ctx, "b", key)
			if err != nil {
				t.Fatal(err)
			}
			if v.UUID != second.UUID {
				t.Fatalf("size %d, node %d: visible version %s, want the one answered (%s)", size, i, v.UUID, second.UUID)
			}
			got, err := readAll(t, e.m, "b", key)
			if err != nil || !bytes.Equal(got, newer) {
				t.Fatalf("size %d, node %d: read back %d bytes (%v), want the %d of the second PUT", size, i, len(got), err, size)
			}
		}
		o, err := slow.getObject(ctx, "b", key)
		if err != nil {
			t.Fatal(err)
		}
		// The refused attempt, stamped before the faster node's version,
		// stays as a marker next to the two others.
		if len(o.Versions) != 3 {
			t.Fatalf("size %d: %d versions, want 3 (the refused attempt among them)", size, len(o.Versions))
		}
		if size > 64 {
			for i, e := range re.envs {
				if c, _ := e.refs.Count(storage.HashOf(newer)); c != 1 {
					t.Fatalf("node %d: block of the answered version referenced %d times, want 1", i, c)
				}
				if c, _ := e.refs.Count(storage.HashOf(old)); c != 0 || e.blocks.Has(storage.HashOf(old)) {
					t.Fatalf("node %d: block of the overwritten version still referenced (%d) or stored", i, c)
				}
			}
		}
	}
}

// countingNet is an in-process transport that counts the calls of each
// method and signals every table.update handled.
type countingNet struct {
	mu       sync.Mutex
	handlers map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error)
	calls    map[string]int
	updated  chan struct{}
}

func (n *countingNet) registrar(id cluster.NodeID) table.Registrar { return netRegistrar{n, id} }

func (n *countingNet) counts() map[string]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]int{}
	for k, v := range n.calls {
		out[k] = v
	}
	clear(n.calls)
	return out
}

type netRegistrar struct {
	n  *countingNet
	id cluster.NodeID
}

func (r netRegistrar) Handle(method string, h func(context.Context, cluster.NodeID, []byte) ([]byte, error)) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	if r.n.handlers[r.id] == nil {
		r.n.handlers[r.id] = map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){}
	}
	r.n.handlers[r.id][method] = h
}

type netCaller struct {
	n    *countingNet
	from cluster.NodeID
}

func (c netCaller) Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error) {
	c.n.mu.Lock()
	c.n.calls[method]++
	h := c.n.handlers[to][method]
	c.n.mu.Unlock()
	if h == nil {
		return nil, fmt.Errorf("no method %s on %s", method, to.Short())
	}
	out, err := h(ctx, c.from, bytes.Clone(body))
	if method == table.MethodUpdate {
		c.n.updated <- struct{}{}
	}
	return out, err
}

// TestSmallPutIsOneRoundTrip: over RPC with quorums 2 of 3, an inline
// and a one-block PUT each send one table.update to each other replica
// and nothing else: no read of the current object first.
func TestSmallPutIsOneRoundTrip(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	net := &countingNet{handlers: map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){},
		calls: map[string]int{}, updated: make(chan struct{}, 64)}
	var ids []cluster.NodeID
	for i := range 3 {
		var id cluster.NodeID
		id[0] = byte(i + 1)
		ids = append(ids, id)
	}
	var models []*Model
	for _, id := range ids {
		dir := t.TempDir()
		db, err := storage.OpenDB(filepath.Join(dir, "meta"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		bs, err := storage.OpenBlockStore(filepath.Join(dir, "data"), 0)
		if err != nil {
			t.Fatal(err)
		}
		local, err := table.NewLocal(id.String(), db, log)
		if err != nil {
			t.Fatal(err)
		}
		table.RegisterRPC(net.registrar(id), local)
		p, err := table.NewClusterPlacement(table.ClusterPlacementConfig{
			Self: id, Local: local, Replicas: func(uint8) []cluster.NodeID { return ids },
			Alive: func(cluster.NodeID) bool { return true }, ReadQuorum: 2, WriteQuorum: 2,
			Caller: netCaller{net, id},
		})
		if err != nil {
			t.Fatal(err)
		}
		m, err := Open(Config{BlockSize: 64 << 10}, local, p, bs, nil, crdt.NewClock(nil), &table.LocalLocker{}, log)
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	for _, size := range []int{20, 40 << 10} {
		data := partData(3, size)
		sum := md5.Sum(data)
		if _, err := models[0].PutObject(context.Background(), PutObjectInput{BucketID: "b", Key: "k", Body: bytes.NewReader(data), Size: int64(size),
			Digest: func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }}); err != nil {
			t.Fatal(err)
		}
		for range len(ids) - 1 { // the replica beyond the quorum finishes in the background
			select {
			case <-net.updated:
			case <-time.After(10 * time.Second):
				t.Fatal("a replica never got the write")
			}
		}
		got := net.counts()
		if want := map[string]int{table.MethodUpdate: 2}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%d-byte PUT sent %v, want %v (one update per other replica, no read)", size, got, want)
		}
	}
}
