package e2e

// GetObjectAttributes (issue 10).

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestGetObjectAttributes(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "attributes")
	all := []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
		types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}

	t.Run("SinglePart", func(t *testing.T) {
		body := []byte("attributes of one part")
		if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("one"), Body: bytes.NewReader(body),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256, StorageClass: types.StorageClassStandardIa}); err != nil {
			t.Fatal(err)
		}
		out, err := e.c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("one"), ObjectAttributes: all})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ETag) != sdkMD5Hex(body) || aws.ToInt64(out.ObjectSize) != int64(len(body)) || out.StorageClass != types.StorageClassStandardIa {
			t.Fatalf("ETag %q size %d class %q, want %s %d STANDARD_IA", aws.ToString(out.ETag), aws.ToInt64(out.ObjectSize), out.StorageClass, sdkMD5Hex(body), len(body))
		}
		if out.Checksum == nil || aws.ToString(out.Checksum.ChecksumSHA256) == "" {
			t.Fatalf("no SHA256 checksum: %+v", out.Checksum)
		}
		if out.ObjectParts != nil {
			t.Fatalf("single-part object with ObjectParts %+v", out.ObjectParts)
		}
		if out.LastModified == nil {
			t.Fatal("no Last-Modified")
		}
	})
	t.Run("Multipart", func(t *testing.T) {
		p1, p2 := randBytes(3, compatPartSize), randBytes(4, 100)
		id, parts := e.uploadParts(t, bucket, "multi", types.ChecksumAlgorithmCrc32c, "", p1, p2)
		if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("multi"), UploadId: &id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
			t.Fatal(err)
		}
		out, err := e.c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("multi"), ObjectAttributes: all, MaxParts: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		op := out.ObjectParts
		if op == nil || aws.ToInt32(op.TotalPartsCount) != 2 || len(op.Parts) != 1 || !aws.ToBool(op.IsTruncated) || aws.ToInt32(op.Parts[0].PartNumber) != 1 ||
			aws.ToInt64(op.Parts[0].Size) != int64(len(p1)) || aws.ToString(op.Parts[0].ChecksumCRC32C) != aws.ToString(parts[0].ChecksumCRC32C) {
			t.Fatalf("ObjectParts %+v", op)
		}
		if out.Checksum == nil || out.Checksum.ChecksumType != types.ChecksumTypeComposite || aws.ToString(out.Checksum.ChecksumCRC32C) == "" {
			t.Fatalf("Checksum %+v", out.Checksum)
		}
		if aws.ToInt64(out.ObjectSize) != int64(len(p1)+len(p2)) {
			t.Fatalf("size %d", aws.ToInt64(out.ObjectSize))
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		_, err := e.c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("missing"), ObjectAttributes: all})
		wantAPIErr(t, err, "NoSuchKey", 404)
		_, err = e.c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("one"), ObjectAttributes: []types.ObjectAttributes{"Colour"}})
		wantAPIErr(t, err, "InvalidArgument", 400)
	})
}
