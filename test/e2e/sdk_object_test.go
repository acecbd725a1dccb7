package e2e

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKObject covers PutObject, GetObject, HeadObject and DeleteObject on
// objects of every storage shape: empty, inline, exactly one block and
// several blocks.
func TestSDKObject(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "objects")
	start := time.Now().Add(-time.Minute)

	sizes := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"tiny", 1},
		{"inline", 3000},
		{"just-over-inline", 3<<10 + 1},
		{"one-block", 1 << 20},
		{"block-plus-one", 1<<20 + 1},
		{"multi-block", 3<<20 + 12345},
	}
	for i, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			key := "sizes/" + sz.name
			data := randBytes(uint64(1000+i), sz.size)
			put := e.put(t, e.c, b, key, data)
			if got, want := aws.ToString(put.ETag), sdkQuote(sdkMD5Hex(data)); got != want {
				t.Errorf("PutObject ETag %s, want %s", got, want)
			}
			e.wantObject(t, b, key, data)
			head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToInt64(head.ContentLength) != int64(sz.size) || aws.ToString(head.ETag) != aws.ToString(put.ETag) {
				t.Errorf("HeadObject: length %d etag %s, want %d %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), sz.size, aws.ToString(put.ETag))
			}
			if head.LastModified == nil || head.LastModified.Before(start) || head.LastModified.After(time.Now().Add(time.Minute)) {
				t.Errorf("HeadObject LastModified %v, want about now", head.LastModified)
			}
			get, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			get.Body.Close()
			if aws.ToInt64(get.ContentLength) != int64(sz.size) || aws.ToString(get.ETag) != aws.ToString(put.ETag) {
				t.Errorf("GetObject: length %d etag %s, want %d %s", aws.ToInt64(get.ContentLength), aws.ToString(get.ETag), sz.size, aws.ToString(put.ETag))
			}
		})
	}

	t.Run("Overwrite", func(t *testing.T) {
		e.put(t, e.c, b, "ow", randBytes(1, 2<<20))
		e.put(t, e.c, b, "ow", []byte("small now"))
		e.wantObject(t, b, "ow", []byte("small now"))
		e.wantKeys(t, b, "ow", "ow")
	})

	t.Run("OddKeys", func(t *testing.T) {
		for i, key := range []string{"dir/ünï cödé/a+b %20.txt", "a&b=c?d#e", "  leading spaces", "日本語/ファイル", "tab\there", "~!@$^*()[]{}'"} {
			data := []byte(fmt.Sprintf("odd key %d", i))
			e.put(t, e.c, b, key, data)
			e.wantObject(t, b, key, data)
			e.wantKeys(t, b, key, key)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		_, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("no/such/key")})
		wantAPIErr(t, err, "NoSuchKey", 404)
		_, err = e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("no/such/key")})
		wantAPIErr(t, err, "NotFound", 404) // HEAD: no body, the SDK names the status
	})

	t.Run("KeyTooLong", func(t *testing.T) {
		key := strings.Repeat("k", 1025)
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &key, Body: strings.NewReader("x")})
		wantAPIErr(t, err, "KeyTooLongError", 400)
		e.wantKeys(t, b, "kkk")
	})

	t.Run("Delete", func(t *testing.T) {
		e.put(t, e.c, b, "del/one", randBytes(5, 5000))
		if _, err := e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("del/one")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		e.wantNoObject(t, b, "del/one")
		e.wantKeys(t, b, "del/")
		// Deleting a missing key succeeds (204), as in AWS.
		if _, err := e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("del/one")}); err != nil {
			t.Fatalf("DeleteObject of a missing key: %v", err)
		}
		_, err := e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
	})
}

// TestSDKObjectRange covers Range requests: closed, open-ended, suffix,
// past the end, across blocks, and unsatisfiable ones.
func TestSDKObjectRange(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "ranges")
	small := randBytes(2, 10000)
	big := randBytes(3, 3<<20)
	e.put(t, e.c, b, "small", small)
	e.put(t, e.c, b, "big", big)
	e.put(t, e.c, b, "empty", nil)

	for _, tc := range []struct {
		key, rng  string
		data      []byte
		from, to  int // inclusive
		wantRange string
	}{
		{"small", "bytes=0-99", small, 0, 99, "bytes 0-99/10000"},
		{"small", "bytes=100-100", small, 100, 100, "bytes 100-100/10000"},
		{"small", "bytes=9990-", small, 9990, 9999, "bytes 9990-9999/10000"},
		{"small", "bytes=-500", small, 9500, 9999, "bytes 9500-9999/10000"},
		{"small", "bytes=-20000", small, 0, 9999, "bytes 0-9999/10000"},
		{"small", "bytes=9000-20000", small, 9000, 9999, "bytes 9000-9999/10000"},
		{"big", "bytes=1048000-1049000", big, 1048000, 1049000, "bytes 1048000-1049000/3145728"},
		{"big", "bytes=1048576-2097151", big, 1 << 20, 2<<20 - 1, "bytes 1048576-2097151/3145728"},
		{"big", "bytes=-1", big, 3<<20 - 1, 3<<20 - 1, "bytes 3145727-3145727/3145728"},
	} {
		t.Run(tc.key+" "+tc.rng, func(t *testing.T) {
			out, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &tc.key, Range: &tc.rng})
			if err != nil {
				t.Fatalf("GetObject Range %s: %v", tc.rng, err)
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := tc.data[tc.from : tc.to+1]
			if !bytes.Equal(got, want) {
				t.Fatalf("Range %s: got %d bytes, want %d (bytes %d-%d)", tc.rng, len(got), len(want), tc.from, tc.to)
			}
			if aws.ToString(out.ContentRange) != tc.wantRange || aws.ToInt64(out.ContentLength) != int64(len(want)) {
				t.Fatalf("Range %s: Content-Range %q Content-Length %d, want %q %d", tc.rng, aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength), tc.wantRange, len(want))
			}
		})
	}

	t.Run("Unsatisfiable", func(t *testing.T) {
		for _, tc := range []struct{ key, rng string }{
			{"small", "bytes=10000-"},
			{"small", "bytes=20000-30000"},
			{"empty", "bytes=0-0"},
			{"empty", "bytes=-1"},
		} {
			_, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &tc.key, Range: &tc.rng})
			wantAPIErr(t, err, "InvalidRange", 416)
		}
	})

	t.Run("MalformedIgnored", func(t *testing.T) {
		// A syntactically invalid Range is ignored (RFC 9110 §14.2; S3 does
		// the same): the whole object comes back with 200.
		out, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("small"), Range: aws.String("bytes=abc")})
		if err != nil {
			t.Fatalf("GetObject Range bytes=abc: %v", err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, small) || out.ContentRange != nil {
			t.Fatalf("Range bytes=abc: got %d bytes, Content-Range %q; want the whole object", len(got), aws.ToString(out.ContentRange))
		}
	})
}

// TestSDKObjectConditionalRead covers If-Match, If-None-Match,
// If-Modified-Since and If-Unmodified-Since on GET and HEAD.
func TestSDKObjectConditionalRead(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "cond")
	data := []byte("conditional content")
	etag := aws.ToString(e.put(t, e.c, b, "k", data).ETag)
	head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	lm := *head.LastModified
	past, future := lm.Add(-time.Hour), lm.Add(time.Hour)
	other := `"0123456789abcdef0123456789abcdef"`

	type conds struct {
		ifMatch, ifNoneMatch   *string
		ifModSince, ifUnmodSin *time.Time
	}
	for _, tc := range []struct {
		name string
		c    conds
		code string // "" = 200
		// status of the failure
		status int
	}{
		{"If-Match ok", conds{ifMatch: &etag}, "", 200},
		{"If-Match star", conds{ifMatch: aws.String("*")}, "", 200},
		{"If-Match mismatch", conds{ifMatch: &other}, "PreconditionFailed", 412},
		{"If-None-Match same", conds{ifNoneMatch: &etag}, "NotModified", 304},
		{"If-None-Match star", conds{ifNoneMatch: aws.String("*")}, "NotModified", 304},
		{"If-None-Match other", conds{ifNoneMatch: &other}, "", 200},
		{"If-Modified-Since future", conds{ifModSince: &future}, "NotModified", 304},
		{"If-Modified-Since past", conds{ifModSince: &past}, "", 200},
		{"If-Unmodified-Since past", conds{ifUnmodSin: &past}, "PreconditionFailed", 412},
		{"If-Unmodified-Since future", conds{ifUnmodSin: &future}, "", 200},
		// AWS GetObject: If-Match true and If-Unmodified-Since false → 200.
		{"If-Match wins over If-Unmodified-Since", conds{ifMatch: &etag, ifUnmodSin: &past}, "", 200},
		// AWS GetObject: If-None-Match false and If-Modified-Since true → 304.
		{"If-None-Match wins over If-Modified-Since", conds{ifNoneMatch: &etag, ifModSince: &past}, "NotModified", 304},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"),
				IfMatch: tc.c.ifMatch, IfNoneMatch: tc.c.ifNoneMatch, IfModifiedSince: tc.c.ifModSince, IfUnmodifiedSince: tc.c.ifUnmodSin})
			if tc.code == "" {
				if err != nil {
					t.Fatalf("GetObject: %v, want 200", err)
				}
				got, _ := io.ReadAll(get.Body)
				get.Body.Close()
				if !bytes.Equal(got, data) {
					t.Fatalf("GetObject body %q, want %q", got, data)
				}
			} else {
				wantAPIErr(t, err, tc.code, tc.status)
			}
			_, err = e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k"),
				IfMatch: tc.c.ifMatch, IfNoneMatch: tc.c.ifNoneMatch, IfModifiedSince: tc.c.ifModSince, IfUnmodifiedSince: tc.c.ifUnmodSin})
			if tc.code == "" {
				if err != nil {
					t.Fatalf("HeadObject: %v, want 200", err)
				}
			} else {
				wantAPIErr(t, err, tc.code, tc.status) // HEAD: code from status, same names
			}
		})
	}
}

// TestSDKObjectResponseOverrides covers the response-* query parameters of
// GetObject.
func TestSDKObjectResponseOverrides(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	b := e.bucket(t, "overrides")
	_, err := e.c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("body"),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("no-cache")})
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	out, err := e.c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"),
		ResponseContentType:        aws.String("application/x-override"),
		ResponseContentDisposition: aws.String(`attachment; filename="over ride.bin"`),
		ResponseCacheControl:       aws.String("max-age=42"),
		ResponseContentEncoding:    aws.String("br"),
		ResponseContentLanguage:    aws.String("fr-CA"),
		ResponseExpires:            &expires,
	})
	if err != nil {
		t.Fatalf("GetObject with response-* overrides: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "body" {
		t.Errorf("body %q", got)
	}
	for name, pair := range map[string][2]string{
		"Content-Type":        {aws.ToString(out.ContentType), "application/x-override"},
		"Content-Disposition": {aws.ToString(out.ContentDisposition), `attachment; filename="over ride.bin"`},
		"Cache-Control":       {aws.ToString(out.CacheControl), "max-age=42"},
		"Content-Encoding":    {aws.ToString(out.ContentEncoding), "br"},
		"Content-Language":    {aws.ToString(out.ContentLanguage), "fr-CA"},
		"Expires":             {aws.ToString(out.ExpiresString), expires.Format(http.TimeFormat)},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s: got %q, want %q", name, pair[0], pair[1])
		}
	}
	// The stored metadata is not changed by overrides.
	head, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "text/plain" || aws.ToString(head.CacheControl) != "no-cache" {
		t.Errorf("after override: stored Content-Type %q Cache-Control %q, want text/plain no-cache", aws.ToString(head.ContentType), aws.ToString(head.CacheControl))
	}
}

// TestSDKObjectMetadata covers user metadata and the stored standard
// headers, on GET and HEAD.
func TestSDKObjectMetadata(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "meta")
	expires := time.Date(2030, 6, 7, 8, 9, 10, 0, time.UTC)
	meta := map[string]string{"color": "blue", "mixed-case": "Value With Spaces", "empty-ish": "-"}
	for _, size := range []int{100, 2<<20 + 7} {
		key := fmt.Sprintf("m-%d", size)
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &b, Key: &key, Body: bytes.NewReader(randBytes(uint64(size), size)),
			Metadata:                map[string]string{"color": "blue", "Mixed-Case": "Value With Spaces", "empty-ish": "-"},
			ContentType:             aws.String("application/x-garage-test"),
			CacheControl:            aws.String("public, max-age=300"),
			ContentDisposition:      aws.String(`attachment; filename="a b.txt"`),
			ContentEncoding:         aws.String("identity"),
			ContentLanguage:         aws.String("de-CH"),
			Expires:                 &expires,
			WebsiteRedirectLocation: aws.String("/elsewhere.html"),
		})
		if err != nil {
			t.Fatalf("PutObject with metadata: %v", err)
		}
		head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		get, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		for _, r := range []struct {
			op                                string
			meta                              map[string]string
			ct, cc, cd, ce, cl, exp, redirect *string
		}{
			{"HeadObject", head.Metadata, head.ContentType, head.CacheControl, head.ContentDisposition, head.ContentEncoding, head.ContentLanguage, head.ExpiresString, head.WebsiteRedirectLocation},
			{"GetObject", get.Metadata, get.ContentType, get.CacheControl, get.ContentDisposition, get.ContentEncoding, get.ContentLanguage, get.ExpiresString, get.WebsiteRedirectLocation},
		} {
			if !maps.Equal(r.meta, meta) {
				t.Errorf("%s %s: metadata %v, want %v", r.op, key, r.meta, meta)
			}
			for name, pair := range map[string][2]string{
				"Content-Type":                    {aws.ToString(r.ct), "application/x-garage-test"},
				"Cache-Control":                   {aws.ToString(r.cc), "public, max-age=300"},
				"Content-Disposition":             {aws.ToString(r.cd), `attachment; filename="a b.txt"`},
				"Content-Encoding":                {aws.ToString(r.ce), "identity"},
				"Content-Language":                {aws.ToString(r.cl), "de-CH"},
				"Expires":                         {aws.ToString(r.exp), expires.Format(http.TimeFormat)},
				"x-amz-website-redirect-location": {aws.ToString(r.redirect), "/elsewhere.html"},
			} {
				if pair[0] != pair[1] {
					t.Errorf("%s %s: %s %q, want %q", r.op, key, name, pair[0], pair[1])
				}
			}
		}
	}

	t.Run("DefaultContentType", func(t *testing.T) {
		e.put(t, e.c, b, "plain", []byte("x"))
		head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("plain")})
		if err != nil {
			t.Fatal(err)
		}
		// Nothing sent: AWS stores binary/octet-stream.
		if ct := aws.ToString(head.ContentType); ct != "binary/octet-stream" && ct != "application/octet-stream" {
			t.Errorf("default Content-Type %q, want binary/octet-stream (or application/octet-stream)", ct)
		}
		if len(head.Metadata) != 0 {
			t.Errorf("metadata %v on an object stored without any", head.Metadata)
		}
	})

	t.Run("MetadataTooLarge", func(t *testing.T) {
		// AWS: user-defined metadata is limited to 2 KB → 400
		// MetadataTooLarge.
		e.put(t, e.c, b, "big-meta", []byte("old"))
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("big-meta"), Body: strings.NewReader("new"),
			Metadata: map[string]string{"huge": strings.Repeat("v", 3000)}})
		wantAPIErr(t, err, "MetadataTooLarge", 400)
		e.wantObject(t, b, "big-meta", []byte("old"))
	})
}

// TestSDKObjectConditionalWrite covers If-None-Match: * and If-Match on
// PutObject.
func TestSDKObjectConditionalWrite(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "condwrite")
	putIf := func(key, body string, ifMatch, ifNoneMatch *string) (*s3.PutObjectOutput, error) {
		return e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &key, Body: strings.NewReader(body), IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
	}

	t.Run("IfNoneMatchStar", func(t *testing.T) {
		if _, err := putIf("new", "first", nil, aws.String("*")); err != nil {
			t.Fatalf("If-None-Match: * on a new key: %v", err)
		}
		_, err := putIf("new", "second", nil, aws.String("*"))
		wantAPIErr(t, err, "PreconditionFailed", 412)
		e.wantObject(t, b, "new", []byte("first"))
		// Also for a multi-block body.
		_, err = e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("new"), Body: bytes.NewReader(randBytes(9, 2<<20)), IfNoneMatch: aws.String("*")})
		wantAPIErr(t, err, "PreconditionFailed", 412)
		e.wantObject(t, b, "new", []byte("first"))
	})

	t.Run("IfMatch", func(t *testing.T) {
		etag := aws.ToString(e.put(t, e.c, b, "m", []byte("v1")).ETag)
		out, err := putIf("m", "v2", &etag, nil)
		if err != nil {
			t.Fatalf("If-Match with the current ETag: %v", err)
		}
		e.wantObject(t, b, "m", []byte("v2"))
		// The old ETag no longer matches.
		_, err = putIf("m", "v3", &etag, nil)
		wantAPIErr(t, err, "PreconditionFailed", 412)
		e.wantObject(t, b, "m", []byte("v2"))
		if _, err := putIf("m", "v4", out.ETag, nil); err != nil {
			t.Fatalf("If-Match with the new ETag: %v", err)
		}
		e.wantObject(t, b, "m", []byte("v4"))
	})

	t.Run("IfMatchMissingKey", func(t *testing.T) {
		// AWS conditional writes: If-Match on a key with no current
		// version fails with 404 NoSuchKey.
		_, err := putIf("absent", "x", aws.String(`"0123456789abcdef0123456789abcdef"`), nil)
		wantAPIErr(t, err, "NoSuchKey", 404)
		e.wantNoObject(t, b, "absent")
	})
}

// TestSDKObjectContentMD5 covers Content-MD5 verification.
func TestSDKObjectContentMD5(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "md5")
	data := randBytes(4, 5000)
	if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("ok"), Body: bytes.NewReader(data), ContentMD5: aws.String(sdkMD5B64(data))}); err != nil {
		t.Fatalf("PutObject with the right Content-MD5: %v", err)
	}
	e.wantObject(t, b, "ok", data)

	for _, size := range []int{5000, 2<<20 + 3} {
		body := randBytes(uint64(size), size)
		wrong := sdkMD5B64([]byte("something else"))
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: bytes.NewReader(body), ContentMD5: &wrong})
		wantAPIErr(t, err, "BadDigest", 400)
		e.wantNoObject(t, b, "bad")
		// Over an existing object: the old one stays.
		_, err = e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("ok"), Body: bytes.NewReader(body), ContentMD5: &wrong})
		wantAPIErr(t, err, "BadDigest", 400)
		e.wantObject(t, b, "ok", data)
	}

	// A Content-MD5 that is not a base64 MD5 → 400 InvalidDigest.
	_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: strings.NewReader("x"), ContentMD5: aws.String("not-an-md5")})
	wantAPIErr(t, err, "InvalidDigest", 400)
	e.wantNoObject(t, b, "bad")
	e.wantKeys(t, b, "", "ok")
}

// crc64NVME is the CRC-64/NVME table (reflected polynomial 0x9a6c9329ac4bc9b5).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksumOf is the base64 S3 checksum of data for algo.
func checksumOf(algo types.ChecksumAlgorithm, data []byte) string {
	var sum []byte
	switch algo {
	case types.ChecksumAlgorithmCrc32:
		sum = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case types.ChecksumAlgorithmCrc32c:
		sum = binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	case types.ChecksumAlgorithmCrc64nvme:
		sum = binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, crc64NVME))
	case types.ChecksumAlgorithmSha1:
		s := sha1.Sum(data)
		sum = s[:]
	case types.ChecksumAlgorithmSha256:
		s := sha256.Sum256(data)
		sum = s[:]
	default:
		panic("unknown checksum algorithm " + string(algo))
	}
	return base64.StdEncoding.EncodeToString(sum)
}

// checksumFields is (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) of an output.
type checksumFields struct{ crc32, crc32c, crc64nvme, sha1, sha256 *string }

func (c checksumFields) get(algo types.ChecksumAlgorithm) string {
	return aws.ToString(map[types.ChecksumAlgorithm]*string{
		types.ChecksumAlgorithmCrc32: c.crc32, types.ChecksumAlgorithmCrc32c: c.crc32c,
		types.ChecksumAlgorithmCrc64nvme: c.crc64nvme, types.ChecksumAlgorithmSha1: c.sha1,
		types.ChecksumAlgorithmSha256: c.sha256,
	}[algo])
}

// withChecksum sets the explicit checksum value for algo on a PutObject.
func withChecksum(in *s3.PutObjectInput, algo types.ChecksumAlgorithm, v string) {
	in.ChecksumAlgorithm = algo
	switch algo {
	case types.ChecksumAlgorithmCrc32:
		in.ChecksumCRC32 = &v
	case types.ChecksumAlgorithmCrc32c:
		in.ChecksumCRC32C = &v
	case types.ChecksumAlgorithmCrc64nvme:
		in.ChecksumCRC64NVME = &v
	case types.ChecksumAlgorithmSha1:
		in.ChecksumSHA1 = &v
	case types.ChecksumAlgorithmSha256:
		in.ChecksumSHA256 = &v
	}
}

var allChecksums = []types.ChecksumAlgorithm{
	types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme,
	types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256,
}

// TestSDKObjectChecksums covers x-amz-checksum-* sent by the SDK: verified,
// stored and returned with ChecksumMode ENABLED; wrong values → BadDigest.
func TestSDKObjectChecksums(t *testing.T) {
	if got := fmt.Sprintf("%016x", crc64.Checksum([]byte("123456789"), crc64NVME)); got != "ae8b14860a799888" {
		t.Fatalf("test's CRC-64/NVME check value %s, want ae8b14860a799888", got)
	}
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "checksums")
	for _, algo := range allChecksums {
		for _, size := range []int{1500, 2<<20 + 99} {
			t.Run(fmt.Sprintf("%s-%d", algo, size), func(t *testing.T) {
				key := fmt.Sprintf("%s/%d", algo, size)
				data := randBytes(uint64(size)+uint64(len(algo)), size)
				want := checksumOf(algo, data)
				put, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(data), ChecksumAlgorithm: algo})
				if err != nil {
					t.Fatalf("PutObject with %s: %v", algo, err)
				}
				if got := (checksumFields{put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256}).get(algo); got != want {
					t.Errorf("PutObject response checksum %s = %q, want %q", algo, got, want)
				}
				get, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
				if err != nil {
					t.Fatalf("GetObject ChecksumMode ENABLED: %v", err)
				}
				body, err := io.ReadAll(get.Body) // the SDK validates the checksum while reading
				get.Body.Close()
				if err != nil || !bytes.Equal(body, data) {
					t.Fatalf("GetObject body: %d bytes, err %v", len(body), err)
				}
				if got := (checksumFields{get.ChecksumCRC32, get.ChecksumCRC32C, get.ChecksumCRC64NVME, get.ChecksumSHA1, get.ChecksumSHA256}).get(algo); got != want {
					t.Errorf("GetObject checksum %s = %q, want %q", algo, got, want)
				}
				head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
				if err != nil {
					t.Fatal(err)
				}
				if got := (checksumFields{head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256}).get(algo); got != want {
					t.Errorf("HeadObject checksum %s = %q, want %q", algo, got, want)
				}

				// A wrong value: BadDigest, and neither a new key nor an
				// overwrite is stored.
				wrong := checksumOf(algo, []byte("other bytes"))
				for _, target := range []string{key + ".bad", key} {
					in := &s3.PutObjectInput{Bucket: &b, Key: aws.String(target), Body: bytes.NewReader(randBytes(77, size))}
					withChecksum(in, algo, wrong)
					_, err = e.c.PutObject(ctx, in)
					wantAPIErr(t, err, "BadDigest", 400)
				}
				e.wantNoObject(t, b, key+".bad")
				e.wantObject(t, b, key, data)
			})
		}
	}
	t.Run("MalformedValue", func(t *testing.T) {
		// A value that is not the base64 of a digest of the right size:
		// AWS answers 400 InvalidRequest "Value for x-amz-checksum-crc32
		// header is invalid." (botocore's functional tests against S3).
		for _, algo := range allChecksums {
			for _, v := range []string{"short===", "!!not base64!!"} {
				in := &s3.PutObjectInput{Bucket: &b, Key: aws.String("malformed"), Body: strings.NewReader("body")}
				withChecksum(in, algo, v)
				_, err := e.c.PutObject(ctx, in)
				wantAPIErr(t, err, "InvalidRequest", 400)
			}
		}
		e.wantNoObject(t, b, "malformed")
	})
}
