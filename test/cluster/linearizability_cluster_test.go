package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestLinearizableUnderKills: 8 clients PUT and GET 4 keys (every value
// unique) on random nodes while nodes are killed and restarted; porcupine
// (a register per key) must find the history linearizable. Timed-out or
// failed PUTs count as "maybe happened", except those refused at connect
// (the node was down: nothing was sent); failed GETs are dropped.
func TestLinearizableUnderKills(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 4*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3})
	const bucket = "linear"
	_, err := c.Nodes[0].S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)
	keys := []string{"k0", "k1", "k2", "k3"}
	clients := make([]*s3.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = n.S3(c.Key)
	}

	h := newHistory()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for cl := 0; cl < 8; cl++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cl), uint64(time.Now().UnixNano())))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := keys[rng.IntN(len(keys))]
				s3c := clients[rng.IntN(len(clients))]
				opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				call := h.now()
				if rng.IntN(2) == 0 {
					v := fmt.Sprintf("c%d-%d", cl, i)
					err := putObject(opCtx, s3c, bucket, key, []byte(v))
					if errors.Is(err, syscall.ECONNREFUSED) {
						// The node is down: the request reached no server,
						// so it is no operation. (Recording it as "maybe
						// happened" would only make the check slower.)
						h.refused()
						cancel()
						continue
					}
					h.write(cl, key, v, call, err == nil)
				} else {
					b, err := getObject(opCtx, s3c, bucket, key)
					switch {
					case err == nil:
						h.read(cl, key, string(b), call, true)
					case isNotFound(err):
						h.read(cl, key, "", call, true)
					default:
						h.read(cl, key, "", call, false)
					}
				}
				cancel()
			}
		}()
	}

	// Faults: kill -9 a node, let the load run, restart it; twice, on
	// different nodes. Each phase waits for a number of completed operations,
	// not for a time.
	progress := func(n int, what string) {
		t.Helper()
		h.mu.Lock()
		base := len(h.ops)
		h.mu.Unlock()
		must(t, waitFor(ctx, what, func(context.Context) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.ops) < base+n {
				return fmt.Errorf("%d ops", len(h.ops)-base)
			}
			return nil
		}))
	}
	progress(100, "load before faults")
	for _, victim := range []*Node{c.Nodes[1], c.Nodes[2]} {
		start := h.now()
		must(t, victim.Kill())
		progress(100, "load with "+victim.Name+" down")
		must(t, victim.Start(ctx))
		must(t, c.WaitAllUp(ctx, c.Nodes...))
		h.fault("kill -9 and restart "+victim.Name, start, h.now())
		progress(100, "load after restarting "+victim.Name)
	}
	close(stop)
	wg.Wait()
	requireLinearizable(t, h, 2*time.Minute)
}
