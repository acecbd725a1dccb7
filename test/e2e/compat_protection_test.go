package e2e

// Protections garage-web does not give are refused, not silently accepted
// (issue 10): a backup tool that asks for Object Lock must not believe its
// copies are write-once.

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestObjectLockRefused(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx

	t.Run("CreateBucket", func(t *testing.T) {
		_, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("worm"), ObjectLockEnabledForBucket: aws.Bool(true)})
		wantAPIErr(t, err, "NotImplemented", 501)
		_, err = e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("worm")})
		if err == nil {
			t.Fatal("the refused bucket exists")
		}
	})
	t.Run("CreateBucketLockFalse", func(t *testing.T) {
		if _, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("not-worm"), ObjectLockEnabledForBucket: aws.Bool(false)}); err != nil {
			t.Fatalf("CreateBucket with object lock explicitly off: %v", err)
		}
	})

	bucket := e.bucket(t, "lock-objects")
	until := time.Now().Add(24 * time.Hour)
	t.Run("PutObjectRetention", func(t *testing.T) {
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("r"), Body: nil,
			ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until})
		wantAPIErr(t, err, "NotImplemented", 501)
		e.wantNoObject(t, bucket, "r")
	})
	t.Run("PutObjectLegalHold", func(t *testing.T) {
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("h"),
			ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
		wantAPIErr(t, err, "NotImplemented", 501)
		e.wantNoObject(t, bucket, "h")
	})
	t.Run("CreateMultipartUploadRetention", func(t *testing.T) {
		_, err := e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("m"),
			ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
		wantAPIErr(t, err, "NotImplemented", 501)
		out, err := e.c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Uploads) != 0 {
			t.Fatalf("refused upload was created: %d uploads", len(out.Uploads))
		}
	})
	t.Run("CopyObjectRetention", func(t *testing.T) {
		e.put(t, e.c, bucket, "src", []byte("source"))
		_, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("dst"), CopySource: aws.String(bucket + "/src"),
			ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until})
		wantAPIErr(t, err, "NotImplemented", 501)
		e.wantNoObject(t, bucket, "dst")
	})
}
