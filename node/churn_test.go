package node

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestChurnKeepsMetadataSize is issue 12's churn with small counts, through
// the S3 API of a whole node: five rounds of PUT 200 / DELETE 200 objects
// of 4 KiB (inline), each followed by a table GC pass as if gc_delay had
// passed. The database stays within 1.1x its size after round one.
func TestChurnKeepsMetadataSize(t *testing.T) {
	n, c := testNode(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("churn")}); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 4<<10)
	const count = 200
	var first int64
	for round := 1; round <= 5; round++ {
		// Eight writers share commits (one fsync each otherwise).
		if err := parallel(8, count, func(i int) error {
			key := fmt.Sprintf("r%d/%04d", round, i)
			b := bytes.Clone(body)
			copy(b, key)
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("churn"), Key: &key, Body: bytes.NewReader(b)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := parallel(8, count, func(i int) error {
			key := fmt.Sprintf("r%d/%04d", round, i)
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("churn"), Key: &key})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		st, err := n.gc.CollectNow(ctx, time.Now().Add(2*n.cfg.GCDelay.D()+time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if st.Collected < count {
			t.Fatalf("round %d: GC collected %d entries, want at least %d: %+v", round, st.Collected, count, st)
		}
		size := n.db.Size()
		if round == 1 {
			first = size
		}
		t.Logf("round %d: db.bolt %d bytes (%.2fx round one)", round, size, float64(size)/float64(first))
		if float64(size) > 1.1*float64(first) {
			t.Fatalf("round %d: db.bolt %d bytes, %d after round one", round, size, first)
		}
	}
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(workers, n int, fn func(i int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					for range next {
					}
					return
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}
