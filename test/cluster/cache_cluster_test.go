package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestNewBucketUsableOnEveryNodeAtOnce: with more nodes than copies (5
// nodes, 3 copies of the keys and buckets partitions) two nodes hold no
// copy of the key, so no table hook clears their cached key when a bucket
// is created through another node. Every node's cache is warmed with the
// key first, then a bucket is created through n0 and used at once through
// every other node: PutObject, GetObject and ListBuckets must all see it
// (a refusal by a cached key is checked again at quorum).
func TestNewBucketUsableOnEveryNodeAtOnce(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 5, Zones: []string{"z0", "z1", "z2", "z0", "z1"}})
	must(t, putObjectNewBucket(t, c, "warm"))
	for round := range 3 {
		// Warm: every node reads (and caches) the key and the bucket list.
		for _, n := range c.Nodes {
			if _, err := n.S3(c.Key).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
				t.Fatalf("%s: warm-up ListBuckets: %v", n.Name, err)
			}
			if err := putObject(ctx, n.S3(c.Key), "warm", n.Name, []byte("x")); err != nil {
				t.Fatalf("%s: warm-up PutObject: %v", n.Name, err)
			}
		}
		bucket := fmt.Sprintf("fresh-%d", round)
		if _, err := c.Nodes[0].S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("CreateBucket %s through n0: %v", bucket, err)
		}
		for _, n := range c.Nodes[1:] {
			cl := n.S3(c.Key)
			body := []byte("written through " + n.Name)
			if err := putObject(ctx, cl, bucket, n.Name, body); err != nil {
				t.Fatalf("round %d: PutObject into the new bucket through %s: %v", round, n.Name, err)
			}
			got, err := getObject(ctx, cl, bucket, n.Name)
			if err != nil || string(got) != string(body) {
				t.Fatalf("round %d: GetObject through %s: %q, %v", round, n.Name, got, err)
			}
			out, err := cl.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				t.Fatalf("round %d: ListBuckets through %s: %v", round, n.Name, err)
			}
			found := false
			for _, b := range out.Buckets {
				found = found || aws.ToString(b.Name) == bucket
			}
			if !found {
				t.Fatalf("round %d: ListBuckets through %s does not list %s, created through n0", round, n.Name, bucket)
			}
		}
	}
	t.Logf("5 nodes, RF 3: 3 rounds of CreateBucket through n0 then PUT, GET and ListBuckets through n1..n4 at once, with every node's key cache warm: all ok")
}

// putObjectNewBucket creates bucket through the first node.
func putObjectNewBucket(t *testing.T, c *Cluster, bucket string) error {
	ctx := testCtx(t, 30*time.Second)
	_, err := c.Nodes[0].S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	return err
}
