package cluster

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPartitionOneNode: 3 nodes, each in its own network namespace. Cut one
// off: the other two serve writes and reads. Heal: the cut node answers
// reads of the keys written while it was away (read repair at least).
func TestPartitionOneNode(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 4*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Netns: true})
	n0, n1, n2 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	const bucket = "partition"
	_, err := n0.S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)
	before := map[string][]byte{}
	for i := 0; i < 5; i++ {
		k := fmt.Sprintf("before/%d", i)
		before[k] = bytes.Repeat([]byte{byte(i)}, 1000+i)
		must(t, putObject(ctx, n0.S3(c.Key), bucket, k, before[k]))
	}

	must(t, c.Net.Cut(n2.Name))
	t.Logf("cut %s off", n2.Name)
	during := map[string][]byte{}
	sides := []*Node{n0, n1}
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("during/%02d", i)
		v := []byte(fmt.Sprintf("written while %s was cut off: %d", n2.Name, i))
		if i%4 == 0 {
			v = bytes.Repeat(v, 1<<15) // > 1 MiB: blocks, not inline
		}
		w := sides[i%2]
		opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := putObject(opCtx, w.S3(c.Key), bucket, k, v)
		cancel()
		if err != nil {
			t.Fatalf("PUT %s via %s with %s cut off: %v", k, w.Name, n2.Name, err)
		}
		during[k] = v
		r := sides[(i+1)%2]
		got, err := getObject(ctx, r.S3(c.Key), bucket, k)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("GET %s via %s: %d bytes, %v", k, r.Name, len(got), err)
		}
	}
	for k, v := range before {
		got, err := getObject(ctx, n1.S3(c.Key), bucket, k)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("GET %s (written before the cut) via n1: %v", k, err)
		}
	}
	t.Logf("with %s cut off: %d PUTs and GETs across n0/n1 ok, %d older objects readable", n2.Name, len(during), len(before))

	must(t, c.Net.Heal(n2.Name))
	must(t, c.WaitAllUp(ctx, c.Nodes...))
	t.Logf("healed %s; every node sees every node up", n2.Name)
	for k, v := range during {
		var got []byte
		must(t, waitFor(ctx, "GET "+k+" via "+n2.Name, func(ctx context.Context) error {
			opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var err error
			got, err = getObject(opCtx, n2.S3(c.Key), bucket, k)
			return err
		}))
		if !bytes.Equal(got, v) {
			t.Fatalf("GET %s via %s after heal: %d bytes, want %d", k, n2.Name, len(got), len(v))
		}
	}
	t.Logf("%s reads all %d keys written while it was cut off", n2.Name, len(during))
}
