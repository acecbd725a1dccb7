package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestLinearizableDuringLayoutChange: 8 clients PUT and GET 4 keys (every
// value unique) through all nodes of a 3-node cluster (RF 3) and a spare,
// while the spare is assigned and the new layout applied; the load goes on
// until the change has finished on every node and for a while after.
// porcupine (a register per key) must find the history linearizable.
// Failed or timed-out PUTs count as "maybe happened"; failed GETs are
// dropped. The history summary is printed.
func TestLinearizableDuringLayoutChange(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 4*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Spares: 1})
	const bucket = "linear-layout"
	_, err := c.Nodes[0].S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)
	keys := []string{"k0", "k1", "k2", "k3"}
	clients := make([]*s3.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = n.S3(c.Key)
	}

	h := newHistory()
	stopLoad := h.load(ctx, t, 8, func(cl, i int, rng *rand.Rand) {
		key := keys[rng.IntN(len(keys))]
		s3c := clients[rng.IntN(len(clients))]
		registerOp(ctx, h, s3c, bucket, key, cl, i, rng.IntN(2) == 0)
	})
	h.waitOps(ctx, t, 100, "load before the layout change")
	spare := c.Spares()[0]
	start := h.now()
	v, err := c.applyLayout(ctx, c.Nodes[0], assignArgs(spare))
	must(t, err)
	h.waitOps(ctx, t, 50, "load right after the apply")
	must(t, c.WaitLayoutFinished(ctx, c.Nodes, v))
	h.fault(fmt.Sprintf("assign %s, apply layout v%d, until the change finished", spare.Name, v), start, h.now())
	h.waitOps(ctx, t, 100, "load after the layout change")
	stopLoad()
	requireLinearizable(t, h, 2*time.Minute)
}
