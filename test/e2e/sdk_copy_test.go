package e2e

import (
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// copySource is the x-amz-copy-source value for bucket/key.
func copySource(bucket, key string) *string {
	return aws.String(bucket + "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/"))
}

// TestSDKCopy covers CopyObject: metadata COPY and REPLACE, copy-source
// conditions, copying onto itself, across buckets, and permissions.
func TestSDKCopy(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	src := e.bucket(t, "copy-src")
	dst := e.bucket(t, "copy-dst")
	small := []byte("copy me, I am small")
	big := randBytes(21, 3<<20+17)
	srcMeta := map[string]string{"origin": "source", "n": "1"}
	for key, data := range map[string][]byte{"small.txt": small, "dir/big ü+.bin": big} {
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &src, Key: aws.String(key), Body: strings.NewReader(string(data)),
			Metadata: srcMeta, ContentType: aws.String("text/x-source"), CacheControl: aws.String("max-age=1"),
			ContentDisposition: aws.String("inline")})
		if err != nil {
			t.Fatal(err)
		}
	}
	srcHead, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &src, Key: aws.String("small.txt")})
	if err != nil {
		t.Fatal(err)
	}
	srcETag := aws.ToString(srcHead.ETag)
	srcLM := *srcHead.LastModified

	head := func(t *testing.T, b, k string) *s3.HeadObjectOutput {
		t.Helper()
		h, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &k})
		if err != nil {
			t.Fatalf("HeadObject %s/%s: %v", b, k, err)
		}
		return h
	}

	t.Run("MetadataCopy", func(t *testing.T) {
		for key, data := range map[string][]byte{"small.txt": small, "dir/big ü+.bin": big} {
			out, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &src, Key: aws.String("copy/" + key), CopySource: copySource(src, key)})
			if err != nil {
				t.Fatalf("CopyObject %s: %v", key, err)
			}
			if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) != sdkQuote(sdkMD5Hex(data)) || out.CopyObjectResult.LastModified == nil {
				t.Errorf("CopyObjectResult %+v, want ETag %s and LastModified", out.CopyObjectResult, sdkQuote(sdkMD5Hex(data)))
			}
			e.wantObject(t, src, "copy/"+key, data)
			h := head(t, src, "copy/"+key)
			if !maps.Equal(h.Metadata, srcMeta) || aws.ToString(h.ContentType) != "text/x-source" ||
				aws.ToString(h.CacheControl) != "max-age=1" || aws.ToString(h.ContentDisposition) != "inline" {
				t.Errorf("copy %s: metadata %v type %q cache %q disposition %q; want the source's",
					key, h.Metadata, aws.ToString(h.ContentType), aws.ToString(h.CacheControl), aws.ToString(h.ContentDisposition))
			}
		}
	})

	t.Run("MetadataReplace", func(t *testing.T) {
		_, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &src, Key: aws.String("replaced"), CopySource: copySource(src, "small.txt"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"fresh": "yes"},
			ContentType: aws.String("application/json")})
		if err != nil {
			t.Fatal(err)
		}
		e.wantObject(t, src, "replaced", small)
		h := head(t, src, "replaced")
		if !maps.Equal(h.Metadata, map[string]string{"fresh": "yes"}) || aws.ToString(h.ContentType) != "application/json" ||
			h.CacheControl != nil || h.ContentDisposition != nil {
			t.Errorf("REPLACE: metadata %v type %q cache %v disposition %v; want only the new metadata",
				h.Metadata, aws.ToString(h.ContentType), aws.ToString(h.CacheControl), aws.ToString(h.ContentDisposition))
		}
	})

	t.Run("OntoItself", func(t *testing.T) {
		e.put(t, e.c, src, "self", []byte("self content"))
		_, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &src, Key: aws.String("self"), CopySource: copySource(src, "self")})
		// AWS CopyObject: "This copy request is illegal because it is trying
		// to copy an object to itself without changing the object's
		// metadata, storage class, website redirect location or encryption
		// attributes." → 400 InvalidRequest.
		wantAPIErr(t, err, "InvalidRequest", 400)
		e.wantObject(t, src, "self", []byte("self content"))
		_, err = e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &src, Key: aws.String("self"), CopySource: copySource(src, "self"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"v": "2"}})
		if err != nil {
			t.Fatalf("copy onto itself with REPLACE: %v", err)
		}
		e.wantObject(t, src, "self", []byte("self content"))
		if h := head(t, src, "self"); h.Metadata["v"] != "2" {
			t.Fatalf("metadata after self-copy with REPLACE: %v", h.Metadata)
		}
	})

	t.Run("CrossBucket", func(t *testing.T) {
		for key, data := range map[string][]byte{"small.txt": small, "dir/big ü+.bin": big} {
			if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dst, Key: aws.String(key), CopySource: copySource(src, key)}); err != nil {
				t.Fatalf("cross-bucket CopyObject %s: %v", key, err)
			}
			e.wantObject(t, dst, key, data)
		}
		// The source is untouched.
		e.wantObject(t, src, "small.txt", small)
	})

	t.Run("SourceConditions", func(t *testing.T) {
		past, future := srcLM.Add(-time.Hour), srcLM.Add(time.Hour)
		other := `"0123456789abcdef0123456789abcdef"`
		for _, tc := range []struct {
			name string
			in   s3.CopyObjectInput
			ok   bool
		}{
			{"if-match ok", s3.CopyObjectInput{CopySourceIfMatch: &srcETag}, true},
			{"if-match mismatch", s3.CopyObjectInput{CopySourceIfMatch: &other}, false},
			{"if-none-match other", s3.CopyObjectInput{CopySourceIfNoneMatch: &other}, true},
			{"if-none-match same", s3.CopyObjectInput{CopySourceIfNoneMatch: &srcETag}, false},
			{"if-modified-since past", s3.CopyObjectInput{CopySourceIfModifiedSince: &past}, true},
			{"if-modified-since future", s3.CopyObjectInput{CopySourceIfModifiedSince: &future}, false},
			{"if-unmodified-since future", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: &future}, true},
			{"if-unmodified-since past", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: &past}, false},
			// AWS CopyObject: If-Match true + If-Unmodified-Since false → copy.
			{"if-match wins", s3.CopyObjectInput{CopySourceIfMatch: &srcETag, CopySourceIfUnmodifiedSince: &past}, true},
			// AWS CopyObject: If-None-Match false + If-Modified-Since true → 412.
			{"if-none-match wins", s3.CopyObjectInput{CopySourceIfNoneMatch: &srcETag, CopySourceIfModifiedSince: &past}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				key := "cond/" + strings.ReplaceAll(tc.name, " ", "-")
				in := tc.in
				in.Bucket, in.Key, in.CopySource = &dst, &key, copySource(src, "small.txt")
				_, err := e.c.CopyObject(ctx, &in)
				if tc.ok {
					if err != nil {
						t.Fatalf("CopyObject: %v", err)
					}
					e.wantObject(t, dst, key, small)
					return
				}
				wantAPIErr(t, err, "PreconditionFailed", 412)
				e.wantNoObject(t, dst, key)
			})
		}
	})

	t.Run("MissingSource", func(t *testing.T) {
		_, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dst, Key: aws.String("nope"), CopySource: copySource(src, "no/such/key")})
		wantAPIErr(t, err, "NoSuchKey", 404)
		_, err = e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dst, Key: aws.String("nope"), CopySource: copySource("no-such-bucket", "k")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
		e.wantNoObject(t, dst, "nope")
	})

	t.Run("AccessDeniedOnSource", func(t *testing.T) {
		// A key that owns its own bucket but has no right on src.
		k2 := e.cliNode().NewKey(t, "copy-other")
		c2 := e.client(k2)
		own := "copy-own"
		if _, err := c2.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &own}); err != nil {
			t.Fatal(err)
		}
		_, err := c2.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &own, Key: aws.String("stolen"), CopySource: copySource(src, "small.txt")})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = c2.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &own, Key: aws.String("stolen")})
		wantAPIErr(t, err, "NotFound", 404)

		// Write-only on the source is not enough either.
		e.allow(t, src, k2, "--write")
		_, err = c2.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &own, Key: aws.String("stolen"), CopySource: copySource(src, "small.txt")})
		wantAPIErr(t, err, "AccessDenied", 403)

		// Read on the source but no write on the destination.
		rdOnly := e.keyWithoutCreate(t, "copy-reader")
		e.allow(t, src, rdOnly, "--read")
		_, err = e.client(rdOnly).CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dst, Key: aws.String("stolen"), CopySource: copySource(src, "small.txt")})
		wantAPIErr(t, err, "AccessDenied", 403)
		e.wantNoObject(t, dst, "stolen")
	})

	t.Run("InvalidSource", func(t *testing.T) {
		// A copy source naming no key: AWS answers 400 InvalidArgument
		// ("Copy Source must mention the source bucket and key:
		// sourcebucket/sourcekey").
		_, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dst, Key: aws.String("bad-src"), CopySource: aws.String(src)})
		wantAPIErr(t, err, "InvalidArgument", 400)
		e.wantNoObject(t, dst, "bad-src")
	})
}
