package e2e

// Multipart behaviour real clients rely on (issue 10), checked against
// AWS's documented behaviour: InvalidPartNumber, whole-upload checksums,
// FULL_OBJECT checksums, repeated completion, DeleteBucket with uploads.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const compatPartSize = 5 << 20

// uploadParts creates an upload of key with the given checksum settings
// and uploads parts (each with the checksum the SDK computes); it returns
// the upload id and the completed-part list.
func (e *sdkEnv) uploadParts(t *testing.T, bucket, key string, alg types.ChecksumAlgorithm, typ types.ChecksumType, parts ...[]byte) (string, []types.CompletedPart) {
	t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ChecksumAlgorithm: alg, ChecksumType: typ}
	up, err := e.c.CreateMultipartUpload(e.ctx, in)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s (%s %s): %v", key, alg, typ, err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		n := int32(i + 1)
		out, err := e.c.UploadPart(e.ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: &n,
			Body: bytes.NewReader(p), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", n, err)
		}
		done = append(done, types.CompletedPart{PartNumber: &n, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32,
			ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME, ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256})
	}
	return aws.ToString(up.UploadId), done
}

func crcB64(h hash.Hash, data []byte) string {
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestMultipartCompat(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "mp-compat")
	p1, p2 := randBytes(1, compatPartSize), randBytes(2, 1000)
	whole := append(append([]byte{}, p1...), p2...)

	t.Run("InvalidPartNumber", func(t *testing.T) {
		e.put(t, e.c, bucket, "single", []byte("one part"))
		_, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("single"), PartNumber: aws.Int32(2)})
		wantAPIErr(t, err, "InvalidPartNumber", 416)
		id, parts := e.uploadParts(t, bucket, "two-parts", "", "", p1, p2)
		if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("two-parts"), UploadId: &id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("two-parts"), PartNumber: aws.Int32(3)})
		// HEAD answers carry no body: only the status tells.
		if err == nil || !strings.Contains(err.Error(), "416") {
			t.Fatalf("HEAD partNumber=3 of a 2-part object: %v, want 416", err)
		}
		out, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("two-parts"), PartNumber: aws.Int32(2)})
		if err != nil {
			t.Fatalf("GET partNumber=2: %v", err)
		}
		out.Body.Close()
		if aws.ToInt64(out.ContentLength) != int64(len(p2)) {
			t.Fatalf("part 2: %d bytes, want %d", aws.ToInt64(out.ContentLength), len(p2))
		}
	})

	t.Run("RepeatedCompleteSameETag", func(t *testing.T) {
		id, parts := e.uploadParts(t, bucket, "again", "", "", p1, p2)
		in := &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("again"), UploadId: &id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
		first, err := e.c.CompleteMultipartUpload(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		second, err := e.c.CompleteMultipartUpload(ctx, in)
		if err != nil {
			t.Fatalf("repeated CompleteMultipartUpload with the same parts: %v", err)
		}
		if aws.ToString(first.ETag) != aws.ToString(second.ETag) {
			t.Fatalf("repeated completion: ETag %s, want %s", aws.ToString(second.ETag), aws.ToString(first.ETag))
		}
	})

	t.Run("WholeChecksumVerified", func(t *testing.T) {
		id, parts := e.uploadParts(t, bucket, "verified", types.ChecksumAlgorithmCrc32, "", p1, p2)
		_, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("verified"), UploadId: &id,
			ChecksumCRC32: aws.String("AAAAAA=="), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		wantAPIErr(t, err, "BadDigest", 400)
		e.wantNoObject(t, bucket, "verified")
		if _, err := e.c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: aws.String("verified"), UploadId: &id}); err != nil {
			t.Fatalf("upload after a refused completion: %v", err)
		}
		// The composite checksum: CRC32 of the parts' raw CRC32s.
		var raw []byte
		for _, p := range [][]byte{p1, p2} {
			raw = binary.BigEndian.AppendUint32(raw, crc32.ChecksumIEEE(p))
		}
		want := crcB64(crc32.NewIEEE(), raw)
		out, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("verified"), UploadId: &id,
			ChecksumCRC32: aws.String(want + "-2"), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		if err != nil {
			t.Fatalf("completion with the right composite checksum: %v", err)
		}
		if got := aws.ToString(out.ChecksumCRC32); got != want+"-2" {
			t.Fatalf("composite CRC32 %q, want %q", got, want+"-2")
		}
		e.wantObject(t, bucket, "verified", whole)
	})

	for _, c := range []struct {
		alg  types.ChecksumAlgorithm
		typ  types.ChecksumType
		want string
		get  func(*s3.CompleteMultipartUploadOutput) *string
	}{
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject, crcB64(crc32.NewIEEE(), whole), func(o *s3.CompleteMultipartUploadOutput) *string { return o.ChecksumCRC32 }},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, crcB64(crc32.New(crc32.MakeTable(crc32.Castagnoli)), whole), func(o *s3.CompleteMultipartUploadOutput) *string { return o.ChecksumCRC32C }},
		{types.ChecksumAlgorithmCrc64nvme, "", crcB64(crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5)), whole), func(o *s3.CompleteMultipartUploadOutput) *string { return o.ChecksumCRC64NVME }},
	} {
		t.Run("FullObject"+string(c.alg), func(t *testing.T) {
			key := "full-" + strings.ToLower(string(c.alg))
			id, parts := e.uploadParts(t, bucket, key, c.alg, c.typ, p1, p2)
			out, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(c.get(out)); got != c.want || out.ChecksumType != types.ChecksumTypeFullObject {
				t.Fatalf("%s FULL_OBJECT: checksum %q type %q, want %q FULL_OBJECT", c.alg, got, out.ChecksumType, c.want)
			}
			head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if head.ChecksumType != types.ChecksumTypeFullObject {
				t.Fatalf("HEAD checksum type %q, want FULL_OBJECT", head.ChecksumType)
			}
		})
	}
	t.Run("FullObjectSHA256Refused", func(t *testing.T) {
		_, err := e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("sha-full"),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumType: types.ChecksumTypeFullObject})
		wantAPIErr(t, err, "InvalidRequest", 400)
	})

	t.Run("DeleteBucketAbortsUploads", func(t *testing.T) {
		b := e.bucket(t, "mp-delete")
		e.uploadParts(t, b, "pending", "", "", p2)
		if _, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
			t.Fatalf("DeleteBucket with only an upload in progress: %v", err)
		}
		if _, err := e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b}); err == nil {
			t.Fatal("bucket still exists")
		}
	})
	t.Run("DeleteBucketWithObjectKeepsUploads", func(t *testing.T) {
		b := e.bucket(t, "mp-delete-full")
		e.put(t, e.c, b, "obj", []byte("x"))
		e.uploadParts(t, b, "pending", "", "", p2)
		_, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b})
		wantAPIErr(t, err, "BucketNotEmpty", 409)
		out, err := e.c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Uploads) != 1 {
			t.Fatalf("refused DeleteBucket changed the uploads: %d, want 1", len(out.Uploads))
		}
	})
}
