package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestLinearizableUnderKills: 8 clients PUT and GET 4 keys (every value
// unique) on random nodes while nodes are killed and restarted; porcupine
// (a register per key) must find the history linearizable. Timed-out or
// failed PUTs count as "maybe happened"; failed GETs are dropped. Clients
// send to the nodes that are up (a request in flight at a kill is one of
// unknown outcome).
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
	down := make([]atomic.Bool, len(c.Nodes)) // nodes being killed and restarted
	stopLoad := h.load(ctx, t, 8, func(cl, i int, rng *rand.Rand) {
		key := keys[rng.IntN(len(keys))]
		// Clients use the nodes that are up: a request to a node
		// being killed is a write of unknown outcome, and dozens of
		// those make porcupine's search too long to finish.
		n := rng.IntN(len(clients))
		for down[n].Load() {
			n = (n + 1) % len(clients)
		}
		s3c := clients[n]
		registerOp(ctx, h, s3c, bucket, key, cl, i, rng.IntN(2) == 0)
	})

	// Faults: kill -9 a node, let the load run, restart it; twice, on
	// different nodes. Each phase waits for a number of completed operations,
	// not for a time.
	h.waitOps(ctx, t, 100, "load before faults")
	for vi, victim := range []*Node{c.Nodes[1], c.Nodes[2]} {
		start := h.now()
		down[vi+1].Store(true)
		must(t, victim.Kill())
		h.waitOps(ctx, t, 100, "load with "+victim.Name+" down")
		must(t, victim.Start(ctx))
		must(t, c.WaitAllUp(ctx, c.Nodes...))
		down[vi+1].Store(false)
		h.fault("kill -9 and restart "+victim.Name, start, h.now())
		h.waitOps(ctx, t, 100, "load after restarting "+victim.Name)
	}
	stopLoad()
	requireLinearizable(t, h, 2*time.Minute)
}

// registerOp is client cl's i-th operation on key, recorded in h: a PUT of
// a value no other operation writes, or a GET (a missing key reads as "").
// A request that fails is of unknown outcome for a PUT, and no operation
// for a GET.
func registerOp(ctx context.Context, h *history, s3c *s3.Client, bucket, key string, cl, i int, write bool) {
	opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	call := h.now()
	if write {
		v := fmt.Sprintf("c%d-%d", cl, i)
		err := putObject(opCtx, s3c, bucket, key, []byte(v))
		h.write(cl, key, v, call, err == nil)
		return
	}
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
