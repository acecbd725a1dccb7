package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// `bucket delete --force` empties a bucket (objects in batches, with the
// running count on stderr, and multipart uploads aborted), then deletes
// it; without --force a full bucket is refused and keeps its objects.
func TestBucketDeleteForce(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "owner")
	n.CreateBucket(t, "full", k)
	c := n.S3(k)
	ctx := context.Background()
	const objects = 230
	for i := range objects {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String(fmt.Sprintf("k/%03d", i)), Body: bytes.NewReader([]byte("x"))})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("full"), Key: aws.String("pending")}); err != nil {
		t.Fatal(err)
	}

	_, stderr, err := n.TryCLI("bucket", "delete", "full", "--yes")
	if err == nil || !strings.Contains(stderr, "is not empty") || !strings.Contains(stderr, "--force") {
		t.Fatalf("delete of a full bucket: err %v, stderr %q; want a refusal naming --force", err, stderr)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("full")})
	if err != nil || aws.ToInt32(list.KeyCount) == 0 {
		t.Fatalf("after the refusal: %v, %d keys; want the objects kept", err, aws.ToInt32(list.KeyCount))
	}

	stdout, stderr, err := n.TryCLI("bucket", "delete", "full", "--force", "--yes")
	if err != nil {
		t.Fatalf("bucket delete --force: %v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("bucket full: %d objects deleted", objects)) || !strings.Contains(stderr, "200 objects deleted") {
		t.Errorf("progress on stderr %q, want the count after each batch up to %d", stderr, objects)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("full")}); err == nil {
		t.Errorf("bucket full still exists after bucket delete --force")
	}
}
