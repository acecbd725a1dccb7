package e2e

// Buckets are unversioned: ListObjectVersions lists every object once with
// version id "null", so that tools emptying a bucket version by version
// work (issue 10).

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestListObjectVersions(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "versions")
	for _, k := range []string{"a", "b/c", "d"} {
		e.put(t, e.c, bucket, k, []byte("v of "+k))
	}

	t.Run("GetBucketVersioning", func(t *testing.T) {
		out, err := e.c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != "" || out.MFADelete != "" {
			t.Fatalf("versioning of a never-versioned bucket: status %q mfa %q, want both empty", out.Status, out.MFADelete)
		}
	})
	t.Run("Paged", func(t *testing.T) {
		var keys []string
		p := s3.NewListObjectVersionsPaginator(e.c, &s3.ListObjectVersionsInput{Bucket: &bucket, MaxKeys: aws.Int32(2)})
		for pages := 0; p.HasMorePages(); pages++ {
			if pages > 5 {
				t.Fatal("paginator does not end")
			}
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.DeleteMarkers) != 0 {
				t.Fatalf("delete markers in an unversioned bucket: %d", len(out.DeleteMarkers))
			}
			for _, v := range out.Versions {
				if aws.ToString(v.VersionId) != "null" || !aws.ToBool(v.IsLatest) || aws.ToInt64(v.Size) == 0 || aws.ToString(v.ETag) == "" {
					t.Fatalf("version %+v: want id null, latest, with size and ETag", v)
				}
				keys = append(keys, aws.ToString(v.Key))
			}
		}
		wantStrings(t, "listed versions", keys, []string{"a", "b/c", "d"})
	})
	t.Run("Delimiter", func(t *testing.T) {
		out, err := e.c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Versions) != 2 || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "b/" {
			t.Fatalf("with delimiter: %d versions, prefixes %q", len(out.Versions), commonPrefixes(out.CommonPrefixes))
		}
	})
	t.Run("OtherVersionIDRefused", func(t *testing.T) {
		_, err := e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("a"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ")})
		wantAPIErr(t, err, "InvalidArgument", 400)
		e.wantObject(t, bucket, "a", []byte("v of a"))
		_, err = e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("a"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ")})
		wantAPIErr(t, err, "InvalidArgument", 400)
		out, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("a"), VersionId: aws.String("null")})
		if err != nil {
			t.Fatalf("GetObject versionId=null: %v", err)
		}
		out.Body.Close()
	})
	t.Run("EmptyByVersions", func(t *testing.T) {
		out, err := e.c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		var ids []types.ObjectIdentifier
		for _, v := range out.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		del, err := e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: ids}})
		if err != nil {
			t.Fatal(err)
		}
		if len(del.Errors) != 0 || len(del.Deleted) != 3 {
			t.Fatalf("DeleteObjects by version: %d deleted, errors %+v", len(del.Deleted), del.Errors)
		}
		e.wantKeys(t, bucket, "")
		if _, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
			t.Fatalf("DeleteBucket after emptying by versions: %v", err)
		}
	})
}
