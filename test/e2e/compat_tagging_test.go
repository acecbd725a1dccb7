package e2e

// Object tags given on write are stored and returned (issue 10); changing
// them afterwards is refused, not ignored.

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (e *sdkEnv) tags(t *testing.T, bucket, key string) map[string]string {
	t.Helper()
	out, err := e.c.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObjectTagging %s: %v", key, err)
	}
	m := map[string]string{}
	for _, tg := range out.TagSet {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func TestObjectTaggingOnWrite(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "tagging")
	if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("t"), Body: bytes.NewReader([]byte("x")),
		Tagging: aws.String("project=blue&team=a%20b")}); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(t, bucket, "t"); len(got) != 2 || got["project"] != "blue" || got["team"] != "a b" {
		t.Fatalf("tags %v", got)
	}
	head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("HEAD tag count %d, want 2", aws.ToInt32(head.TagCount))
	}
	if _, ok := head.Metadata["garage-tagging"]; ok || len(head.Metadata) != 0 {
		t.Fatalf("tags leak as metadata: %v", head.Metadata)
	}

	t.Run("CopyKeepsOrReplaces", func(t *testing.T) {
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("c1"), CopySource: aws.String(bucket + "/t")}); err != nil {
			t.Fatal(err)
		}
		if got := e.tags(t, bucket, "c1"); len(got) != 2 {
			t.Fatalf("copied tags %v", got)
		}
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("c2"), CopySource: aws.String(bucket + "/t"),
			TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("only=one")}); err != nil {
			t.Fatal(err)
		}
		if got := e.tags(t, bucket, "c2"); len(got) != 1 || got["only"] != "one" {
			t.Fatalf("replaced tags %v", got)
		}
	})
	t.Run("Multipart", func(t *testing.T) {
		up, err := e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), Tagging: aws.String("k=v")})
		if err != nil {
			t.Fatal(err)
		}
		part, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("p"))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
			t.Fatal(err)
		}
		if got := e.tags(t, bucket, "mp"); got["k"] != "v" {
			t.Fatalf("multipart tags %v", got)
		}
	})
	t.Run("InvalidTagsRefused", func(t *testing.T) {
		for _, tg := range []string{"a=1&a=2", "k1=1&k2=2&k3=3&k4=4&k5=5&k6=6&k7=7&k8=8&k9=9&k10=10&k11=11", "=empty-key"} {
			_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"), Body: bytes.NewReader([]byte("x")), Tagging: aws.String(tg)})
			wantAPIErr(t, err, "InvalidTag", 400)
			e.wantNoObject(t, bucket, "bad")
		}
	})
	t.Run("ChangingTagsRefused", func(t *testing.T) {
		_, err := e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("t"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}}})
		wantAPIErr(t, err, "NotImplemented", 501)
		if got := e.tags(t, bucket, "t"); len(got) != 2 {
			t.Fatalf("tags after a refused PutObjectTagging: %v", got)
		}
	})
}
