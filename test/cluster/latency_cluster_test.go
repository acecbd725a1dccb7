package cluster

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestClusterThroughDelayProxies forms a cluster whose RPC (TCP and gossip
// UDP) goes through 25 ms one-way delaying proxies and checks that it
// forms, layouts spread and a PUT on one node reads back on the others.
// Figures (RTTs per PUT/GET) belong to bench/; this only proves the wiring.
func TestClusterThroughDelayProxies(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Latency: 25 * time.Millisecond})
	const bucket = "slow"
	_, err := c.Nodes[0].S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)
	body := bytes.Repeat([]byte("latency "), 1000)
	start := time.Now()
	must(t, putObject(ctx, c.Nodes[0].S3(c.Key), bucket, "k", body))
	put := time.Since(start)
	for _, n := range c.Nodes {
		start := time.Now()
		got, err := getObject(ctx, n.S3(c.Key), bucket, "k")
		must(t, err)
		if !bytes.Equal(got, body) {
			t.Fatalf("%s: GET returned %d bytes, want %d", n.Name, len(got), len(body))
		}
		t.Logf("%s: GET %v", n.Name, time.Since(start))
	}
	t.Logf("PUT via n0 %v (one-way delay 25 ms per node proxy, RTT 50 ms)", put)
}
