package e2e

// Storage class names are accepted, stored and returned (issue 10); one
// class of storage is behind them all.

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestStorageClassNames(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "classes")

	for _, sc := range []types.StorageClass{types.StorageClassReducedRedundancy, types.StorageClassStandardIa, types.StorageClassGlacierIr} {
		key := "obj-" + string(sc)
		if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, StorageClass: sc}); err != nil {
			t.Fatalf("PUT with storage class %s: %v", sc, err)
		}
		head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		if head.StorageClass != sc {
			t.Fatalf("HEAD storage class %q, want %q", head.StorageClass, sc)
		}
	}
	e.put(t, e.c, bucket, "plain", []byte("x"))
	head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
	if head.StorageClass != "" {
		t.Fatalf("STANDARD object: x-amz-storage-class %q, want none (as S3)", head.StorageClass)
	}
	out, err := e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		want := types.ObjectStorageClassStandard
		switch aws.ToString(o.Key) {
		case "obj-REDUCED_REDUNDANCY":
			want = types.ObjectStorageClassReducedRedundancy
		case "obj-STANDARD_IA":
			want = types.ObjectStorageClassStandardIa
		case "obj-GLACIER_IR":
			want = types.ObjectStorageClassGlacierIr
		}
		if o.StorageClass != want {
			t.Fatalf("listed %s with class %q, want %q", aws.ToString(o.Key), o.StorageClass, want)
		}
	}
	t.Run("CopyChangesClass", func(t *testing.T) {
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("plain"), CopySource: aws.String(bucket + "/plain"),
			StorageClass: types.StorageClassStandardIa}); err != nil {
			t.Fatalf("copy onto itself changing the storage class: %v", err)
		}
		head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("plain")})
		if err != nil {
			t.Fatal(err)
		}
		if head.StorageClass != types.StorageClassStandardIa {
			t.Fatalf("after copy: class %q", head.StorageClass)
		}
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/plain")}); err != nil {
			t.Fatal(err)
		}
		head, err = e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("copy")})
		if err != nil {
			t.Fatal(err)
		}
		if head.StorageClass != "" {
			t.Fatalf("copy without a class: %q, want STANDARD (no header), as S3", head.StorageClass)
		}
	})
	t.Run("UnknownClassRefused", func(t *testing.T) {
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"), StorageClass: "CHEAP"})
		wantAPIErr(t, err, "InvalidStorageClass", 400)
		e.wantNoObject(t, bucket, "bad")
	})
}
