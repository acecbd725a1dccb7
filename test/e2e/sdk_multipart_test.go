package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

// mpu is one multipart upload in a test.
type mpu struct {
	e           *sdkEnv
	bucket, key string
	id          string
}

func (e *sdkEnv) createMPU(t testing.TB, bucket, key string) *mpu {
	t.Helper()
	out, err := e.c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s/%s: %v", bucket, key, err)
	}
	if aws.ToString(out.UploadId) == "" || aws.ToString(out.Key) != key || aws.ToString(out.Bucket) != bucket {
		t.Fatalf("CreateMultipartUpload: %+v", out)
	}
	return &mpu{e: e, bucket: bucket, key: key, id: aws.ToString(out.UploadId)}
}

func (m *mpu) upload(t testing.TB, n int32, data []byte) types.CompletedPart {
	t.Helper()
	out, err := m.e.c.UploadPart(m.e.ctx, &s3.UploadPartInput{Bucket: &m.bucket, Key: &m.key, UploadId: &m.id, PartNumber: &n, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("UploadPart %d (%d bytes): %v", n, len(data), err)
	}
	if got, want := aws.ToString(out.ETag), sdkQuote(sdkMD5Hex(data)); got != want {
		t.Errorf("UploadPart %d ETag %s, want %s", n, got, want)
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag}
}

func (m *mpu) complete(parts ...types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return m.e.c.CompleteMultipartUpload(m.e.ctx, &s3.CompleteMultipartUploadInput{Bucket: &m.bucket, Key: &m.key, UploadId: &m.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
}

// parts lists the upload's part numbers and sizes ("1:5242880").
func (m *mpu) parts(t testing.TB) []string {
	t.Helper()
	out, err := m.e.c.ListParts(m.e.ctx, &s3.ListPartsInput{Bucket: &m.bucket, Key: &m.key, UploadId: &m.id})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	var ps []string
	for _, p := range out.Parts {
		ps = append(ps, fmt.Sprintf("%d:%d", aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size)))
	}
	return ps
}

// TestSDKMultipart covers CreateMultipartUpload, UploadPart, ListParts,
// CompleteMultipartUpload and AbortMultipartUpload with every
// client-triggered error.
func TestSDKMultipart(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "multipart")
	p1, p2, p3 := randBytes(31, 5*mib), randBytes(32, 5*mib), randBytes(33, 1024)

	t.Run("Basic", func(t *testing.T) {
		key := "basic/obj ü.bin"
		out, err := e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key,
			ContentType: aws.String("application/x-mpu"), Metadata: map[string]string{"kind": "multipart"}})
		if err != nil {
			t.Fatal(err)
		}
		m := &mpu{e: e, bucket: b, key: key, id: aws.ToString(out.UploadId)}
		// Parts may arrive in any order.
		c3 := m.upload(t, 3, p3)
		c1 := m.upload(t, 1, p1)
		c2 := m.upload(t, 2, p2)
		wantStrings(t, "ListParts", m.parts(t), []string{"1:5242880", "2:5242880", "3:1024"})
		// Not visible before completion.
		e.wantNoObject(t, b, key)
		done, err := m.complete(c1, c2, c3)
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if got, want := aws.ToString(done.ETag), multipartETag(p1, p2, p3); got != want {
			t.Errorf("Complete ETag %s, want %s", got, want)
		}
		if aws.ToString(done.Key) != key || aws.ToString(done.Bucket) != b {
			t.Errorf("Complete result bucket %q key %q", aws.ToString(done.Bucket), aws.ToString(done.Key))
		}
		e.wantObject(t, b, key, bytes.Join([][]byte{p1, p2, p3}, nil))
		h, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(h.ContentLength) != int64(10*mib+1024) || aws.ToString(h.ETag) != multipartETag(p1, p2, p3) ||
			aws.ToString(h.ContentType) != "application/x-mpu" || !maps.Equal(h.Metadata, map[string]string{"kind": "multipart"}) {
			t.Errorf("HeadObject: length %d etag %s type %q meta %v", aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), aws.ToString(h.ContentType), h.Metadata)
		}
		// A range across the part boundary.
		rng, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &key, Range: aws.String(fmt.Sprintf("bytes=%d-%d", 5*mib-10, 5*mib+9))})
		if err != nil {
			t.Fatal(err)
		}
		got := new(bytes.Buffer)
		got.ReadFrom(rng.Body)
		rng.Body.Close()
		if !bytes.Equal(got.Bytes(), append(append([]byte{}, p1[5*mib-10:]...), p2[:10]...)) {
			t.Error("range across the part boundary returned wrong bytes")
		}
		// The upload is gone.
		_, err = e.c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: &m.id})
		wantAPIErr(t, err, "NoSuchUpload", 404)
	})

	t.Run("ReuploadPart", func(t *testing.T) {
		m := e.createMPU(t, b, "reupload")
		m.upload(t, 1, randBytes(99, 5*mib))
		c1 := m.upload(t, 1, p1) // replaces the first part 1
		c2 := m.upload(t, 2, p3)
		wantStrings(t, "ListParts", m.parts(t), []string{"1:5242880", "2:1024"})
		if _, err := m.complete(c1, c2); err != nil {
			t.Fatal(err)
		}
		e.wantObject(t, b, "reupload", append(append([]byte{}, p1...), p3...))
	})

	t.Run("SubsetOfParts", func(t *testing.T) {
		// Completing with parts 1 and 3 of 1..3 is allowed; part 2 is dropped.
		m := e.createMPU(t, b, "subset")
		c1 := m.upload(t, 1, p1)
		m.upload(t, 2, p2)
		c3 := m.upload(t, 3, p3)
		if _, err := m.complete(c1, c3); err != nil {
			t.Fatalf("Complete with parts 1 and 3: %v", err)
		}
		e.wantObject(t, b, "subset", append(append([]byte{}, p1...), p3...))
	})

	t.Run("ListPartsPaging", func(t *testing.T) {
		m := e.createMPU(t, b, "listparts")
		for i := int32(1); i <= 5; i++ {
			m.upload(t, i, []byte(fmt.Sprintf("part %d", i)))
		}
		var got []int32
		var marker *string
		for page := 0; ; page++ {
			out, err := e.c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: &m.key, UploadId: &m.id, MaxParts: aws.Int32(2), PartNumberMarker: marker})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Parts) > 2 {
				t.Fatalf("page %d: %d parts, want at most 2", page, len(out.Parts))
			}
			for _, p := range out.Parts {
				got = append(got, aws.ToInt32(p.PartNumber))
				if p.ETag == nil || p.LastModified == nil {
					t.Errorf("part %d: ETag %v LastModified %v", aws.ToInt32(p.PartNumber), p.ETag, p.LastModified)
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if page > 5 {
				t.Fatal("paging does not end")
			}
			marker = out.NextPartNumberMarker
		}
		if fmt.Sprint(got) != "[1 2 3 4 5]" {
			t.Fatalf("paged part numbers %v", got)
		}
	})

	t.Run("WrongETag", func(t *testing.T) {
		e.put(t, e.c, b, "wrong-etag", []byte("old"))
		m := e.createMPU(t, b, "wrong-etag")
		c1 := m.upload(t, 1, p1)
		c2 := m.upload(t, 2, p3)
		c2.ETag = aws.String(sdkQuote(sdkMD5Hex([]byte("not this part"))))
		_, err := m.complete(c1, c2)
		wantAPIErr(t, err, "InvalidPart", 400)
		e.wantObject(t, b, "wrong-etag", []byte("old"))
		// The upload survives a failed completion.
		wantStrings(t, "ListParts after failed Complete", m.parts(t), []string{"1:5242880", "2:1024"})
	})

	t.Run("PartNotUploaded", func(t *testing.T) {
		m := e.createMPU(t, b, "not-uploaded")
		c1 := m.upload(t, 1, p1)
		_, err := m.complete(c1, types.CompletedPart{PartNumber: aws.Int32(2), ETag: aws.String(sdkQuote(sdkMD5Hex(p3)))})
		wantAPIErr(t, err, "InvalidPart", 400)
		e.wantNoObject(t, b, "not-uploaded")
	})

	t.Run("OutOfOrder", func(t *testing.T) {
		m := e.createMPU(t, b, "out-of-order")
		c1 := m.upload(t, 1, p1)
		c2 := m.upload(t, 2, p3)
		_, err := m.complete(c2, c1)
		wantAPIErr(t, err, "InvalidPartOrder", 400)
		e.wantNoObject(t, b, "out-of-order")
		// Duplicate part numbers are out of order too (not ascending).
		_, err = m.complete(c1, c1)
		wantAPIErr(t, err, "InvalidPartOrder", 400)
		e.wantNoObject(t, b, "out-of-order")
	})

	t.Run("EntityTooSmall", func(t *testing.T) {
		e.put(t, e.c, b, "too-small", []byte("old"))
		m := e.createMPU(t, b, "too-small")
		c1 := m.upload(t, 1, randBytes(41, 5*mib-1)) // one byte short, not last
		c2 := m.upload(t, 2, p3)
		_, err := m.complete(c1, c2)
		wantAPIErr(t, err, "EntityTooSmall", 400)
		e.wantObject(t, b, "too-small", []byte("old"))
		// A small single (last) part is fine.
		if _, err := m.complete(c2); err != nil {
			t.Fatalf("Complete with only the small last part: %v", err)
		}
		e.wantObject(t, b, "too-small", p3)
	})

	t.Run("EmptyPartList", func(t *testing.T) {
		m := e.createMPU(t, b, "no-parts")
		m.upload(t, 1, p3)
		_, err := m.complete()
		// AWS: a CompleteMultipartUpload body without any <Part> → 400
		// MalformedXML.
		wantAPIErr(t, err, "MalformedXML", 400)
		e.wantNoObject(t, b, "no-parts")
	})

	t.Run("InvalidPartNumber", func(t *testing.T) {
		m := e.createMPU(t, b, "bad-partnum")
		for _, n := range []int32{0, 10001, -1} {
			_, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: &m.key, UploadId: &m.id, PartNumber: aws.Int32(n), Body: strings.NewReader("x")})
			// AWS: "Part number must be an integer between 1 and 10000,
			// inclusive" → 400 InvalidArgument.
			wantAPIErr(t, err, "InvalidArgument", 400)
		}
		wantStrings(t, "ListParts", m.parts(t), nil)
	})

	t.Run("NoSuchUpload", func(t *testing.T) {
		bogus := "bogus-upload-id"
		_, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("nsu"), UploadId: &bogus, PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
		wantAPIErr(t, err, "NoSuchUpload", 404)
		_, err = e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("nsu"), UploadId: &bogus,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(sdkQuote(sdkMD5Hex([]byte("x"))))}}}})
		wantAPIErr(t, err, "NoSuchUpload", 404)
		_, err = e.c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: aws.String("nsu"), UploadId: &bogus})
		wantAPIErr(t, err, "NoSuchUpload", 404)
		_, err = e.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: aws.String("nsu"), UploadId: &bogus})
		wantAPIErr(t, err, "NoSuchUpload", 404)
		e.wantNoObject(t, b, "nsu")

		// A real upload id used with another key is no such upload either.
		m := e.createMPU(t, b, "real-key")
		_, err = e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("other-key"), UploadId: &m.id, PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
		wantAPIErr(t, err, "NoSuchUpload", 404)
	})

	t.Run("Abort", func(t *testing.T) {
		e.put(t, e.c, b, "aborted", []byte("old"))
		m := e.createMPU(t, b, "aborted")
		c1 := m.upload(t, 1, p1)
		if _, err := e.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: &m.key, UploadId: &m.id}); err != nil {
			t.Fatalf("AbortMultipartUpload: %v", err)
		}
		_, err := e.c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: &m.key, UploadId: &m.id})
		wantAPIErr(t, err, "NoSuchUpload", 404)
		_, err = e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: &m.key, UploadId: &m.id, PartNumber: aws.Int32(2), Body: strings.NewReader("x")})
		wantAPIErr(t, err, "NoSuchUpload", 404)
		_, err = m.complete(c1)
		wantAPIErr(t, err, "NoSuchUpload", 404)
		_, err = e.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: &m.key, UploadId: &m.id})
		wantAPIErr(t, err, "NoSuchUpload", 404)
		e.wantObject(t, b, "aborted", []byte("old"))
		ups, err := e.c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b, Prefix: aws.String("aborted")})
		if err != nil || len(ups.Uploads) != 0 {
			t.Fatalf("uploads after abort: %+v %v", ups, err)
		}
	})

	t.Run("ConditionalComplete", func(t *testing.T) {
		e.put(t, e.c, b, "cond-exists", []byte("old"))
		m := e.createMPU(t, b, "cond-exists")
		c1 := m.upload(t, 1, p3)
		_, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &m.key, UploadId: &m.id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{c1}}, IfNoneMatch: aws.String("*")})
		wantAPIErr(t, err, "PreconditionFailed", 412)
		e.wantObject(t, b, "cond-exists", []byte("old"))

		n := e.createMPU(t, b, "cond-new")
		c1 = n.upload(t, 1, p3)
		if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &n.key, UploadId: &n.id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{c1}}, IfNoneMatch: aws.String("*")}); err != nil {
			t.Fatalf("Complete If-None-Match: * on a new key: %v", err)
		}
		e.wantObject(t, b, "cond-new", p3)

		// If-Match with a stale ETag → 412; with the current one → done.
		etag := aws.ToString(e.put(t, e.c, b, "cond-match", []byte("v1")).ETag)
		m = e.createMPU(t, b, "cond-match")
		c1 = m.upload(t, 1, p3)
		_, err = e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &m.key, UploadId: &m.id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{c1}}, IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
		wantAPIErr(t, err, "PreconditionFailed", 412)
		e.wantObject(t, b, "cond-match", []byte("v1"))
		if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &m.key, UploadId: &m.id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{c1}}, IfMatch: &etag}); err != nil {
			t.Fatalf("Complete If-Match with the current ETag: %v", err)
		}
		e.wantObject(t, b, "cond-match", p3)
	})

	t.Run("NoWriteRight", func(t *testing.T) {
		reader := e.keyWithoutCreate(t, "mpu-reader")
		e.allow(t, b, reader, "--read")
		_, err := e.client(reader).CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("denied")})
		wantAPIErr(t, err, "AccessDenied", 403)
		m := e.createMPU(t, b, "denied")
		_, err = e.client(reader).UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: &m.key, UploadId: &m.id, PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = e.client(reader).AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: &m.key, UploadId: &m.id})
		wantAPIErr(t, err, "AccessDenied", 403)
		wantStrings(t, "ListParts", m.parts(t), nil)
	})
}

// TestSDKUploadPartCopy covers UploadPartCopy with and without
// x-amz-copy-source-range.
func TestSDKUploadPartCopy(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "partcopy")
	src := randBytes(51, 10*mib+333)
	small := []byte("the small tail object")
	e.put(t, e.c, b, "src/big", src)
	e.put(t, e.c, b, "src/small", small)

	copyPart := func(t *testing.T, m *mpu, n int32, srcKey, rng string) (types.CompletedPart, error) {
		t.Helper()
		in := &s3.UploadPartCopyInput{Bucket: &b, Key: &m.key, UploadId: &m.id, PartNumber: &n, CopySource: copySource(b, srcKey)}
		if rng != "" {
			in.CopySourceRange = &rng
		}
		out, err := e.c.UploadPartCopy(ctx, in)
		if err != nil {
			return types.CompletedPart{}, err
		}
		return types.CompletedPart{PartNumber: &n, ETag: out.CopyPartResult.ETag}, nil
	}

	t.Run("Ranges", func(t *testing.T) {
		m := e.createMPU(t, b, "assembled")
		c1, err := copyPart(t, m, 1, "src/big", fmt.Sprintf("bytes=0-%d", 5*mib-1))
		if err != nil {
			t.Fatalf("UploadPartCopy part 1: %v", err)
		}
		if got, want := aws.ToString(c1.ETag), sdkQuote(sdkMD5Hex(src[:5*mib])); got != want {
			t.Errorf("CopyPartResult ETag %s, want %s", got, want)
		}
		c2, err := copyPart(t, m, 2, "src/big", fmt.Sprintf("bytes=%d-%d", 5*mib, len(src)-1))
		if err != nil {
			t.Fatalf("UploadPartCopy part 2: %v", err)
		}
		mid := randBytes(52, 5*mib)
		c3 := m.upload(t, 3, mid)
		c4, err := copyPart(t, m, 4, "src/small", "") // whole object, last part
		if err != nil {
			t.Fatalf("UploadPartCopy part 4: %v", err)
		}
		wantStrings(t, "ListParts", m.parts(t), []string{"1:5242880", "2:5243213", "3:5242880", fmt.Sprintf("4:%d", len(small))})
		if _, err := m.complete(c1, c2, c3, c4); err != nil {
			t.Fatalf("Complete: %v", err)
		}
		e.wantObject(t, b, "assembled", bytes.Join([][]byte{src, mid, small}, nil))
	})

	t.Run("RangeOutsideSource", func(t *testing.T) {
		m := e.createMPU(t, b, "bad-range")
		// AWS: "Range specified is not valid for source object of size: N"
		// → 400 InvalidArgument.
		_, err := copyPart(t, m, 1, "src/small", fmt.Sprintf("bytes=0-%d", len(small)))
		wantAPIErr(t, err, "InvalidArgument", 400)
		_, err = copyPart(t, m, 1, "src/small", "bytes=100-200")
		wantAPIErr(t, err, "InvalidArgument", 400)
		wantStrings(t, "ListParts", m.parts(t), nil)
	})

	t.Run("RangeMalformed", func(t *testing.T) {
		m := e.createMPU(t, b, "malformed-range")
		// AWS: "The x-amz-copy-source-range value must be of the form
		// bytes=first-last ..." → 400 InvalidArgument.
		for _, rng := range []string{"bytes=abc", "bytes=5-", "bytes=10-5"} {
			_, err := copyPart(t, m, 1, "src/small", rng)
			wantAPIErr(t, err, "InvalidArgument", 400)
		}
		wantStrings(t, "ListParts", m.parts(t), nil)
	})

	t.Run("MissingSource", func(t *testing.T) {
		m := e.createMPU(t, b, "no-src")
		_, err := copyPart(t, m, 1, "src/none", "")
		wantAPIErr(t, err, "NoSuchKey", 404)
		wantStrings(t, "ListParts", m.parts(t), nil)
	})

	t.Run("NoSuchUpload", func(t *testing.T) {
		m := &mpu{e: e, bucket: b, key: "x", id: "bogus-upload-id"}
		_, err := copyPart(t, m, 1, "src/small", "")
		wantAPIErr(t, err, "NoSuchUpload", 404)
	})

	t.Run("SourceNotReadable", func(t *testing.T) {
		other := e.cliNode().NewKey(t, "partcopy-other")
		own := "partcopy-own"
		if _, err := e.client(other).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &own}); err != nil {
			t.Fatal(err)
		}
		up, err := e.client(other).CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &own, Key: aws.String("x")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.client(other).UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &own, Key: aws.String("x"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), CopySource: copySource(b, "src/small")})
		wantAPIErr(t, err, "AccessDenied", 403)
	})
}

// TestSDKTransferManager uploads 25 MiB with the SDK's upload manager
// (concurrent multipart) and downloads it with the download manager
// (concurrent ranged GETs).
func TestSDKTransferManager(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	b := e.bucket(t, "manager")
	data := randBytes(61, 25*mib)

	up := manager.NewUploader(e.c, func(u *manager.Uploader) {
		u.PartSize = 5 * mib
		u.Concurrency = 3
		u.LeavePartsOnError = false
	})
	res, err := up.Upload(e.ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("big/25MiB.bin"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("manager upload: %v", err)
	}
	if res.UploadID == "" || !strings.HasSuffix(strings.Trim(aws.ToString(res.ETag), `"`), "-5") {
		t.Errorf("manager upload: id %q ETag %s, want a 5-part multipart upload", res.UploadID, aws.ToString(res.ETag))
	}

	down := manager.NewDownloader(e.c, func(d *manager.Downloader) {
		d.PartSize = 4 * mib
		d.Concurrency = 3
	})
	buf := manager.NewWriteAtBuffer(make([]byte, 0, len(data)))
	n, err := down.Download(e.ctx, buf, &s3.GetObjectInput{Bucket: &b, Key: aws.String("big/25MiB.bin")})
	if err != nil {
		t.Fatalf("manager download: %v", err)
	}
	if n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("manager download: %d bytes sha256 %.12s, want %d bytes sha256 %.12s", n, sha256Hex(buf.Bytes()), len(data), sha256Hex(data))
	}
	ups, err := e.c.ListMultipartUploads(e.ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("uploads left after manager upload: %+v %v", ups, err)
	}
}
