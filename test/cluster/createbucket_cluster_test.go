package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestConcurrentCreateBucketOneWinner: 16 clients over 3 nodes CreateBucket
// one name at once: exactly one 200, every other answer
// BucketAlreadyExists or BucketAlreadyOwnedByYou, and ListBuckets shows one
// bucket of that name on every node.
func TestConcurrentCreateBucketOneWinner(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3})
	const name = "contended"
	const clients = 16
	errs := make([]error, clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		s3c := c.Nodes[i%len(c.Nodes)].S3(c.Key)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, errs[i] = s3c.CreateBucket(opCtx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	codes := map[string]int{}
	for i, err := range errs {
		if err == nil {
			wins++
			continue
		}
		code := s3Code(err)
		codes[code]++
		if code != "BucketAlreadyExists" && code != "BucketAlreadyOwnedByYou" {
			t.Errorf("client %d (node %s): %v", i, c.Nodes[i%len(c.Nodes)].Name, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d CreateBucket calls succeeded, want exactly 1 (refusals: %v)", wins, codes)
	}
	t.Logf("16 concurrent CreateBucket(%q) over 3 nodes: 1 success, refusals %v", name, codes)

	// Bucket caches live at most ~1 s: poll, but a second bucket of that
	// name is a failure at once.
	for _, n := range c.Nodes {
		must(t, waitFor(ctx, n.Name+" to list exactly one "+name, func(ctx context.Context) error {
			out, err := n.S3(c.Key).ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				return err
			}
			count := 0
			for _, b := range out.Buckets {
				if aws.ToString(b.Name) == name {
					count++
				}
			}
			if count > 1 {
				t.Fatalf("%s: ListBuckets shows %d buckets named %q", n.Name, count, name)
			}
			if count == 0 || len(out.Buckets) != 1 {
				return fmt.Errorf("%d named %q, %d in all", count, name, len(out.Buckets))
			}
			return nil
		}))
	}
	t.Logf("ListBuckets on every node: exactly one %q", name)
}
