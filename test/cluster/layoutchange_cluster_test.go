package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// mixedLoad PUTs new keys and GETs acknowledged ones through the nodes of
// targets() until stop is closed. A PUT may fail (503 during a layout
// change is allowed; it is counted); a GET of an acknowledged object must
// never fail nor return other bytes: each such GET is counted in badGets
// and the first few are kept.
type mixedLoad struct {
	acked            *objectSet
	puts, failedPuts atomic.Int64
	put503           atomic.Int64
	gets, badGets    atomic.Int64
	mu               sync.Mutex
	badSamples       []string
	stop             chan struct{}
	wg               sync.WaitGroup
	stopped          bool
	sizes            []int // bodies: inline and one-block
}

func startMixedLoad(ctx context.Context, c *Cluster, bucket string, writers, readers int, targets func() []*Node) *mixedLoad {
	l := &mixedLoad{acked: newObjectSet(), stop: make(chan struct{}), sizes: []int{200, 3000, 20 << 10, 100 << 10}}
	for w := 0; w < writers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for i := 0; l.running(ctx); i++ {
				ts := targets()
				n := ts[rng.IntN(len(ts))]
				body := randomBody(rng, l.sizes[rng.IntN(len(l.sizes))])
				key := fmt.Sprintf("load/w%d/%05d", w, i)
				opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := putObject(opCtx, n.S3(c.Key), bucket, key, body)
				cancel()
				l.puts.Add(1)
				if err != nil {
					l.failedPuts.Add(1)
					if httpStatus(err) == http.StatusServiceUnavailable {
						l.put503.Add(1)
					}
					continue
				}
				l.acked.add(key, body)
			}
		}()
	}
	for r := 0; r < readers; r++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			rng := rand.New(rand.NewPCG(uint64(100+r), uint64(time.Now().UnixNano())))
			for l.running(ctx) {
				key, want, ok := l.acked.pick(rng)
				if !ok {
					select {
					case <-l.stop:
						return
					case <-time.After(pollInterval):
					}
					continue
				}
				ts := targets()
				n := ts[rng.IntN(len(ts))]
				opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				got, err := getObject(opCtx, n.S3(c.Key), bucket, key)
				cancel()
				if ctx.Err() != nil {
					return
				}
				l.gets.Add(1)
				if err != nil || !bytes.Equal(got, want) {
					l.badGets.Add(1)
					l.mu.Lock()
					if len(l.badSamples) < 5 {
						l.badSamples = append(l.badSamples, fmt.Sprintf("GET %s via %s at %s: %d bytes (sha256 %.12x, want %d bytes %.12x), err %v",
							key, n.Name, time.Now().Format("15:04:05.000"), len(got), sha256.Sum256(got), len(want), sha256.Sum256(want), err))
					}
					l.mu.Unlock()
				}
			}
		}()
	}
	return l
}

func (l *mixedLoad) running(ctx context.Context) bool {
	select {
	case <-l.stop:
		return false
	case <-ctx.Done():
		return false
	default:
		return true
	}
}

// Stop ends the load and waits for its goroutines.
func (l *mixedLoad) Stop() {
	if !l.stopped {
		l.stopped = true
		close(l.stop)
		l.wg.Wait()
	}
}

// waitAcked waits until n more PUTs than now are acknowledged.
func (l *mixedLoad) waitAcked(ctx context.Context, n int, what string) error {
	base := l.acked.len()
	return waitFor(ctx, fmt.Sprintf("%d more acknowledged PUTs (%s)", n, what), func(context.Context) error {
		if got := l.acked.len() - base; got < n {
			return fmt.Errorf("%d so far (%d PUTs failed)", got, l.failedPuts.Load())
		}
		return nil
	})
}

func (l *mixedLoad) summary() string {
	return fmt.Sprintf("%d PUTs (%d acknowledged, %d failed of which %d were 503), %d GETs of acknowledged objects (%d failed or wrong)",
		l.puts.Load(), l.acked.len(), l.failedPuts.Load(), l.put503.Load(), l.gets.Load(), l.badGets.Load())
}

// requireNoBadGets fails the test if a GET of an acknowledged object failed.
func (l *mixedLoad) requireNoBadGets(t *testing.T) {
	t.Helper()
	if n := l.badGets.Load(); n > 0 {
		l.mu.Lock()
		defer l.mu.Unlock()
		t.Fatalf("%d GETs of acknowledged objects failed or returned wrong bytes: %v", n, l.badSamples)
	}
}

// TestLayoutAddNodeUnderLoad: 3 nodes (RF 3) and a spare; 3 writers and 3
// readers run through all four nodes while the spare is assigned and the
// new layout applied, until the change has finished on every node. No GET
// of an acknowledged object may fail or return other bytes (a PUT refused
// with 503 is allowed and counted). Afterwards every acknowledged object
// reads back from every node, and data sits where the new layout says and
// nowhere else: for every table and partition the holders have equal roots
// and the other node no entries; every block is on its holders only.
func TestLayoutAddNodeUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Spares: 1, Configure: func(cfg *nodeConfig) {
		cfg.BlockGCDelay = "5s" // blocks of refused PUTs go soon
	}})
	spare := c.Spares()[0]
	const bucket = "addnode"
	must(t, createBucket(ctx, c, c.Nodes[0], bucket))
	seed := newObjectSet()
	must(t, putMany(ctx, c, c.Storage(), bucket, "seed", 300, 10, seed))

	load := startMixedLoad(ctx, c, bucket, 3, 3, func() []*Node { return c.Nodes })
	defer load.Stop()
	must(t, load.waitAcked(ctx, 50, "before the change"))
	start := time.Now()
	v, err := c.applyLayout(ctx, c.Nodes[0], assignArgs(spare))
	must(t, err)
	t.Logf("assigned %s (zone %s) and applied layout v%d under load", spare.Name, spare.Zone, v)
	must(t, c.WaitLayoutFinished(ctx, c.Nodes, v))
	finished := time.Now()
	t.Logf("layout change to v%d finished on every node after %v", v, finished.Sub(start).Round(time.Second))
	must(t, load.waitAcked(ctx, 50, "after the change"))
	load.Stop()
	t.Logf("load: %s", load.summary())
	load.requireNoBadGets(t)

	all := load.acked.snapshot()
	for k, b := range seed.snapshot() {
		all[k] = b
	}
	for _, n := range c.Nodes {
		must(t, readAll(ctx, c, n, bucket, all))
	}
	t.Logf("all %d objects read back from every node", len(all))
	pl, pv, err := readPlacement(c.Nodes[0])
	must(t, err)
	if pv < v {
		t.Fatalf("layout file of %s at v%d, want v%d", c.Nodes[0].Name, pv, v)
	}
	blocks := seed.blocks()
	for h := range load.acked.blocks() {
		blocks[h] = true
	}
	// On failure: when were the objects of blocks left on a non-replica
	// written, relative to the change?
	explain := func() {
		for _, n := range c.Nodes {
			files, _ := blockFiles(n)
			for h := range files {
				if !blocks[h] || pl[blockPartition(h)][n.ID] {
					continue
				}
				k, at, ok := load.acked.ackedAt(h)
				if !ok {
					k, at, _ = seed.ackedAt(h)
				}
				t.Logf("block %.12s (p%d) left on %s: object %s acknowledged %v after the apply (the change finished %v after it)",
					h, blockPartition(h), n.Name, k, at.Sub(start).Round(time.Millisecond), finished.Sub(start).Round(time.Millisecond))
			}
		}
	}
	waitConverged(ctx, t, "data placed as layout v"+fmt.Sprint(v)+" says",
		convergence{nodes: c.Nodes, pl: &pl, blocks: blocks, onFail: explain}, convergeTimeout)
}

// TestLayoutRemoveNode: 4 nodes (RF 3) with data; one is removed from the
// layout. Once the change has finished on every node, the removed node
// holds no table entry and no block file; the data it held is on the new
// holders (equal roots, blocks in place), and every object reads back from
// the three remaining nodes with the removed node switched off.
func TestLayoutRemoveNode(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 4})
	const bucket = "removenode"
	must(t, createBucket(ctx, c, c.Nodes[0], bucket))
	objs := newObjectSet()
	must(t, putMany(ctx, c, c.Nodes, bucket, "obj", 400, 8, objs))
	gone := c.Nodes[3]
	rest := c.Nodes[:3]
	before, err := gone.TableStatus(ctx)
	must(t, err)
	t.Logf("%s before removal: %s", gone.Name, describeStatus(before))

	v, err := c.applyLayout(ctx, c.Nodes[0], []string{"layout", "remove", gone.ID})
	must(t, err)
	t.Logf("removed %s; applied layout v%d", gone.Name, v)
	must(t, c.WaitLayoutFinished(ctx, c.Nodes, v))
	t.Logf("layout change to v%d finished on every node", v)

	pl, _, err := readPlacement(c.Nodes[0])
	must(t, err)
	for p := range pl {
		if pl[p][gone.ID] {
			t.Fatalf("layout v%d still gives partition %d to the removed %s", v, p, gone.Name)
		}
	}
	waitConverged(ctx, t, "data off "+gone.Name+" and on its new holders", convergence{nodes: c.Nodes, pl: &pl, blocks: objs.blocks()}, convergeTimeout)
	// What the convergence check does not see: entries of tables or blocks
	// the test did not write.
	hctx, cancel := context.WithTimeout(ctx, convergeTimeout)
	defer cancel()
	must(t, pollUntil(hctx, gone.Name+" holds nothing", func(ctx context.Context) error {
		st, err := gone.TableStatus(ctx)
		if err != nil {
			return err
		}
		for _, tb := range st.Tables {
			if tb.Entries != 0 {
				return fmt.Errorf("table %s has %d entries", tb.Name, tb.Entries)
			}
		}
		files, err := blockFiles(gone)
		if err != nil {
			return err
		}
		if len(files) > 0 {
			return fmt.Errorf("%d block files on its disk", len(files))
		}
		return nil
	}))
	t.Logf("%s holds no table entry and no block file", gone.Name)
	must(t, gone.Stop())
	all := objs.snapshot()
	for _, n := range rest {
		must(t, readAll(ctx, c, n, bucket, all))
	}
	t.Logf("with %s switched off, all %d objects read back from %s", gone.Name, len(all), names(rest))
}

// TestLayoutRF1ToRF3: one node with replication factor 1 holds data; two
// spares are assigned and the replication factor staged to 3 (`layout
// config -r 3`) in one new layout. Once the change has finished, the three
// nodes have equal roots for every table and partition and every block, and
// every object reads back through each of them.
func TestLayoutRF1ToRF3(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 1, Spares: 2, ReplicationFactor: 1})
	n0 := c.Nodes[0]
	const bucket = "rf1to3"
	must(t, createBucket(ctx, c, n0, bucket))
	objs := newObjectSet()
	must(t, putMany(ctx, c, []*Node{n0}, bucket, "obj", 500, 10, objs))
	stage := [][]string{{"layout", "config", "-r", "3"}}
	for _, s := range c.Spares() {
		stage = append(stage, assignArgs(s))
	}
	v, err := c.applyLayout(ctx, n0, stage...)
	must(t, err)
	t.Logf("assigned %s, replication factor 3: layout v%d", names(c.Spares()), v)
	must(t, c.WaitLayoutFinished(ctx, c.Nodes, v))
	waitConverged(ctx, t, "three copies of everything", convergence{nodes: c.Nodes, blocks: objs.blocks()}, convergeTimeout)
	all := objs.snapshot()
	for _, n := range c.Nodes {
		must(t, readAll(ctx, c, n, bucket, all))
	}
	t.Logf("all %d objects read back from each of %s", len(all), names(c.Nodes))
}
