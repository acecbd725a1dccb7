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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ackedSet is what the cluster acknowledged: key -> body.
type ackedSet struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (a *ackedSet) add(k string, b []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.objs[k] = b
}

func (a *ackedSet) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.objs)
}

func (a *ackedSet) snapshot() map[string][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string][]byte, len(a.objs))
	for k, v := range a.objs {
		m[k] = v
	}
	return m
}

// writeLoad PUTs distinct keys with random bodies (inline-sized and
// multi-block) to the nodes in targets() until stop is closed.
func writeLoad(ctx context.Context, c *Cluster, bucket string, workers int, targets func() []*Node,
	acked *ackedSet, failed *atomic.Int64, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			sizes := []int{100, 3000, 64 << 10, 1<<20 + 12345}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				ts := targets()
				n := ts[(w+i)%len(ts)]
				body := make([]byte, sizes[rng.IntN(len(sizes))])
				for j := range body {
					body[j] = byte(rng.Uint32())
				}
				key := fmt.Sprintf("w%d/%05d", w, i)
				opCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
				err := putObject(opCtx, n.S3(c.Key), bucket, key, body)
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				acked.add(key, body)
			}
		}()
	}
	return &wg
}

// verifyAll GETs every acknowledged object from n and compares bytes.
func verifyAll(ctx context.Context, t *testing.T, n *Node, k Key, bucket string, objs map[string][]byte) {
	t.Helper()
	cl := n.S3(k)
	bad := 0
	for key, want := range objs {
		opCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		got, err := getObject(opCtx, cl, bucket, key)
		cancel()
		switch {
		case err != nil:
			bad++
			if bad <= 10 {
				t.Errorf("%s: GET %s (acknowledged, %d bytes): %v", n.Name, key, len(want), err)
			}
		case !bytes.Equal(got, want):
			bad++
			if bad <= 10 {
				t.Errorf("%s: GET %s: %d bytes sha256 %x, want %d bytes sha256 %x", n.Name, key,
					len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d acknowledged objects missing or wrong", n.Name, bad, len(objs))
	}
	t.Logf("%s: all %d acknowledged objects read back byte-exact", n.Name, len(objs))
}

// TestKillDuringWriteLoad: 3 nodes in 3 zones, RF 3. kill -9 one node during
// a write load (writes go on, nothing acknowledged is lost); kill a second
// (PUT answers 503, never 200); the survivor restarted in degraded mode
// serves every acknowledged object; all restarted in consistent mode serve
// every acknowledged object from every node.
func TestKillDuringWriteLoad(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Zones: []string{"za", "zb", "zc"}})
	n0, n1, n2 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	const bucket = "durability"
	_, err := n0.S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)

	acked := &ackedSet{objs: map[string][]byte{}}
	var failed atomic.Int64
	var live atomic.Pointer[[]*Node]
	all := []*Node{n0, n1, n2}
	live.Store(&all)
	stop := make(chan struct{})
	wg := writeLoad(ctx, c, bucket, 6, func() []*Node { return *live.Load() }, acked, &failed, stop)
	stopped := false
	stopLoad := func() {
		if !stopped {
			close(stop)
			wg.Wait()
			stopped = true
		}
	}
	defer stopLoad()

	atLeast := func(n int, what string) {
		t.Helper()
		must(t, waitFor(ctx, fmt.Sprintf("%d acknowledged PUTs (%s)", n, what), func(context.Context) error {
			if got := acked.len(); got < n {
				return fmt.Errorf("%d so far, %d failed", got, failed.Load())
			}
			return nil
		}))
	}
	atLeast(30, "before the kill")
	beforeKill := acked.len()
	must(t, n2.Kill())
	rest := []*Node{n0, n1}
	live.Store(&rest)
	t.Logf("kill -9 %s after %d acknowledged PUTs", n2.Name, beforeKill)
	atLeast(beforeKill+30, "after the kill: writes go on")
	stopLoad()
	objs := acked.snapshot()
	t.Logf("load stopped: %d acknowledged, %d failed PUTs", len(objs), failed.Load())
	verifyAll(ctx, t, n0, c.Key, bucket, objs)
	verifyAll(ctx, t, n1, c.Key, bucket, objs)

	// Second kill: no write quorum.
	must(t, n1.Kill())
	t.Logf("kill -9 %s", n1.Name)
	for i := 0; i < 5; i++ {
		opCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := putObject(opCtx, n0.S3(c.Key), bucket, fmt.Sprintf("no-quorum/%d", i), []byte("must not be acknowledged"))
		cancel()
		if err == nil {
			t.Fatalf("PUT with 1 of 3 replicas answered 200")
		}
		if st := httpStatus(err); st != http.StatusServiceUnavailable {
			t.Fatalf("PUT with 1 of 3 replicas: status %d (%v), want 503", st, err)
		}
	}
	t.Logf("5 PUTs with one node of three: all 503")

	// Survivor in degraded mode serves reads from what it holds.
	must(t, n0.Stop())
	must(t, n0.UpdateConfig(func(cfg *nodeConfig) { cfg.ConsistencyMode = "degraded" }))
	must(t, n0.Start(ctx))
	verifyAll(ctx, t, n0, c.Key, bucket, objs)

	// Everyone back in consistent mode.
	must(t, n0.Stop())
	must(t, n0.UpdateConfig(func(cfg *nodeConfig) { cfg.ConsistencyMode = "" }))
	must(t, c.each(func(n *Node) error { return n.Start(ctx) }))
	must(t, c.WaitAllUp(ctx, c.Nodes...))
	for _, n := range c.Nodes {
		verifyAll(ctx, t, n, c.Key, bucket, objs)
	}
}
