package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// TestBucketDeleteForceRacesPut runs `bucket delete --force --yes` while
// a client keeps PUTting into the bucket, in several rounds. Whatever the
// interleaving, a round must end one of two ways (model/empty.go states
// the guarantee):
//
//   - the delete succeeds: the bucket is gone, and every PUT answered 200
//     or NoSuchBucket (AccessDenied too: a PUT that resolved the bucket
//     before its grants went, then read the key after);
//   - the delete answers "not empty" (a PUT landed after the emptying):
//     the bucket still exists and every object in it reads back whole.
//
// Never an error of another kind, and never a bucket still there but
// unreadable. (An object committed into the deleted bucket after the
// final sweep would not be visible from outside: TestSweepDeletedBucket in
// model covers the sweep.)
func TestBucketDeleteForceRacesPut(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "owner")
	c := n.S3(k)
	ctx := context.Background()
	outcomes := map[string]int{}
	for round := range 6 {
		bucket := fmt.Sprintf("race-%d", round)
		n.CreateBucket(t, bucket, k)
		for i := range 220 { // two batches of the CLI's emptying
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(fmt.Sprintf("old/%03d", i)), Body: bytes.NewReader([]byte("x"))}); err != nil {
				t.Fatal(err)
			}
		}
		// Even rounds: a client that keeps writing; odd rounds: one PUT,
		// sent while the delete starts.
		limit := map[bool]int{true: 1 << 30, false: 1}[round%2 == 0]
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var codes []string // one per PUT: "200" or the error code
		wg.Go(func() {
			for i := range limit {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf("late %d of round %d", i, round)
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(fmt.Sprintf("late/%04d", i)), Body: strings.NewReader(body)})
				var ae smithy.APIError
				switch {
				case err == nil:
					codes = append(codes, "200")
				case errors.As(err, &ae):
					codes = append(codes, ae.ErrorCode())
				default:
					codes = append(codes, err.Error())
				}
				if err != nil {
					return // the bucket is going: later PUTs would be refused the same way
				}
			}
		})
		_, stderr, delErr := n.TryCLI("bucket", "delete", bucket, "--force", "--yes")
		close(stop)
		wg.Wait()

		for _, code := range codes {
			if code != "200" && code != "NoSuchBucket" && code != "AccessDenied" {
				t.Errorf("round %d: a PUT racing the delete answered %q; want 200, NoSuchBucket or AccessDenied", round, code)
			}
		}
		_, headErr := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
		switch {
		case delErr == nil:
			outcomes["deleted"]++
			if headErr == nil {
				t.Errorf("round %d: bucket delete --force succeeded but the bucket is still there", round)
			}
		case strings.Contains(stderr, "is not empty"):
			outcomes["not empty"]++
			if headErr != nil {
				t.Fatalf("round %d: the delete answered not empty, but HeadBucket: %v", round, headErr)
			}
			list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
			if err != nil || len(list.Contents) == 0 {
				t.Fatalf("round %d: not empty, but the listing: %v, %d objects", round, err, len(list.Contents))
			}
			for _, o := range list.Contents {
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
				if err != nil {
					t.Fatalf("round %d: listed object %s does not read: %v", round, aws.ToString(o.Key), err)
				}
				b, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil || int64(len(b)) != aws.ToInt64(o.Size) || !strings.HasPrefix(aws.ToString(o.Key), "late/") {
					t.Fatalf("round %d: object %s: %d bytes (%v), listed %d; want a whole late object", round, aws.ToString(o.Key), len(b), err, aws.ToInt64(o.Size))
				}
			}
			// The user's way out: delete again.
			n.CLI(t, "bucket", "delete", bucket, "--force", "--yes")
		default:
			t.Fatalf("round %d: bucket delete --force: %v\nstderr %s", round, delErr, stderr)
		}
		t.Logf("round %d: %d PUTs (%v), delete %v", round, len(codes), codes[max(0, len(codes)-1):], delErr)
	}
	t.Logf("outcomes: %v", outcomes)
}
