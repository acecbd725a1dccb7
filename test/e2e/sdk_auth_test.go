package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSDKAuth covers signature checks, unknown and deleted keys, anonymous
// requests and per-bucket grants.
func TestSDKAuth(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "guarded")
	e.put(t, e.c, b, "secret.txt", []byte("top secret"))

	// wantUnchanged checks that b still holds exactly secret.txt.
	wantUnchanged := func(t *testing.T) {
		t.Helper()
		e.wantKeys(t, b, "", "secret.txt")
		e.wantObject(t, b, "secret.txt", []byte("top secret"))
	}
	tryAll := func(t *testing.T, c *s3.Client, code string, status int) {
		t.Helper()
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("secret.txt")})
		wantAPIErr(t, err, code, status)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("intruder.txt"), Body: strings.NewReader("x")})
		wantAPIErr(t, err, code, status)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("secret.txt"), Body: strings.NewReader("overwritten")})
		wantAPIErr(t, err, code, status)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("secret.txt")})
		wantAPIErr(t, err, code, status)
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
		wantAPIErr(t, err, code, status)
		wantUnchanged(t)
	}

	t.Run("WrongSecret", func(t *testing.T) {
		c := e.client(Key{ID: e.key.ID, Secret: strings.Repeat("0", len(e.key.Secret))})
		_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		wantAPIErr(t, err, "SignatureDoesNotMatch", 403)
		tryAll(t, c, "SignatureDoesNotMatch", 403)
	})

	t.Run("UnknownKey", func(t *testing.T) {
		c := e.client(Key{ID: "GK0123456789abcdef01234567", Secret: e.key.Secret})
		_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		wantAPIErr(t, err, "InvalidAccessKeyId", 403)
		tryAll(t, c, "InvalidAccessKeyId", 403)
	})

	t.Run("DeletedKey", func(t *testing.T) {
		k := e.keyWithoutCreate(t, "to-be-deleted")
		e.allow(t, b, k, "--read", "--write")
		if got := e.get(t, e.client(k), b, "secret.txt"); string(got) != "top secret" {
			t.Fatalf("granted key reads %q", got)
		}
		e.n.CLI(t, "key", "delete", k.ID, "--yes")
		tryAll(t, e.client(k), "InvalidAccessKeyId", 403)
	})

	t.Run("Anonymous", func(t *testing.T) {
		c := e.client(Key{}, func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })
		_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		wantAPIErr(t, err, "AccessDenied", 403)
		tryAll(t, c, "AccessDenied", 403)
		// And with plain net/http, no SDK involved.
		resp, err := sdkHTTP.Get(e.n.S3URL() + "/" + b + "/secret.txt")
		if err != nil {
			t.Fatal(err)
		}
		wantHTTPErr(t, resp, "AccessDenied", 403)
	})

	t.Run("NoGrant", func(t *testing.T) {
		k := e.keyWithoutCreate(t, "no-grant")
		c := e.client(k)
		tryAll(t, c, "AccessDenied", 403)
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("secret.txt")})
		wantAPIErr(t, err, "Forbidden", 403) // HEAD: no body, the SDK names the status
		if names := e.bucketNames(t, c); slices.Contains(names, b) {
			t.Fatalf("key without grant lists bucket %s: %q", b, names)
		}
	})

	t.Run("ReadOnly", func(t *testing.T) {
		k := e.keyWithoutCreate(t, "read-only")
		e.allow(t, b, k, "--read")
		c := e.client(k)
		if got := e.get(t, c, b, "secret.txt"); string(got) != "top secret" {
			t.Fatalf("read-only key reads %q", got)
		}
		if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b}); err != nil {
			t.Fatalf("read-only ListObjectsV2: %v", err)
		}
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("secret.txt"), Body: strings.NewReader("overwritten")})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("secret.txt")})
		wantAPIErr(t, err, "AccessDenied", 403)
		wantUnchanged(t)
		// Revoking the grant takes effect.
		e.n.CLI(t, "bucket", "deny", "--read", b, "--key", k.ID)
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("secret.txt")})
		wantAPIErr(t, err, "AccessDenied", 403)
	})

	t.Run("WriteOnly", func(t *testing.T) {
		k := e.keyWithoutCreate(t, "write-only")
		e.allow(t, b, k, "--write")
		c := e.client(k)
		e.put(t, c, b, "dropbox.txt", []byte("dropped"))
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dropbox.txt")})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
		wantAPIErr(t, err, "AccessDenied", 403)
		e.wantObject(t, b, "dropbox.txt", []byte("dropped"))
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("dropbox.txt")}); err != nil {
			t.Fatalf("write-only DeleteObject: %v", err)
		}
		wantUnchanged(t)
	})

	t.Run("NoCreateBucketRight", func(t *testing.T) {
		k := e.keyWithoutCreate(t, "no-create")
		_, err := e.client(k).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("not-allowed")})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("not-allowed")})
		wantAPIErr(t, err, "NotFound", 404)
		if out := e.n.CLI(t, "bucket", "list", "--json"); strings.Contains(out, "not-allowed") {
			t.Fatalf("bucket list shows the refused bucket: %s", out)
		}
		// Once allowed, the same key creates and owns the bucket.
		e.n.CLI(t, "key", "allow", "--create-bucket", k.ID)
		if _, err := e.client(k).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("now-allowed")}); err != nil {
			t.Fatalf("CreateBucket after key allow --create-bucket: %v", err)
		}
		e.put(t, e.client(k), "now-allowed", "mine", []byte("mine"))
	})
}

// TestSDKAuthRaw covers signature failures only a hand-made request can
// trigger: stale dates, payload hash mismatches, malformed headers.
func TestSDKAuthRaw(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "raw")
	e.put(t, e.c, b, "k", []byte("original"))
	objURL := e.n.S3URL() + "/" + b + "/k"

	t.Run("RequestTimeTooSkewed", func(t *testing.T) {
		for _, skew := range []time.Duration{-time.Hour, time.Hour} {
			req := sdkReq(t, ctx, http.MethodPut, objURL, nil)
			resp := sdkSignedDo(t, e.key, req, []byte("skewed"), time.Now().Add(skew))
			// AWS: more than 15 minutes off → 403 RequestTimeTooSkewed.
			wantHTTPErr(t, resp, "RequestTimeTooSkewed", 403)
		}
		e.wantObject(t, b, "k", []byte("original"))
	})

	t.Run("PayloadHashMismatch", func(t *testing.T) {
		body := []byte("the real body")
		claimed := sha256.Sum256([]byte("another body"))
		hash := hex.EncodeToString(claimed[:])
		req := sdkReq(t, ctx, http.MethodPut, objURL, bytes.NewReader(body))
		req.Header.Set("X-Amz-Content-Sha256", hash)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: e.key.ID, SecretAccessKey: e.key.Secret}, req, hash, "s3", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := sdkHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		// AWS: 400 XAmzContentSHA256Mismatch ("The provided
		// 'x-amz-content-sha256' header does not match what was computed").
		wantHTTPErr(t, resp, "XAmzContentSHA256Mismatch", 400)
		e.wantObject(t, b, "k", []byte("original"))
	})

	t.Run("MalformedAuthorization", func(t *testing.T) {
		for _, auth := range []string{
			"AWS4-HMAC-SHA256 garbage",
			"AWS4-HMAC-SHA256 Credential=" + e.key.ID + "/20200101/garage/s3/aws4_request, SignedHeaders=host, Signature=",
		} {
			req := sdkReq(t, ctx, http.MethodGet, objURL, nil)
			req.Header.Set("Authorization", auth)
			req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
			req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			resp, err := sdkHTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := sdkReadBody(t, resp)
			// AWS answers 400 AuthorizationHeaderMalformed (or, for a
			// credential scope that does not match the date, the same);
			// a 403 would also refuse the request, but a 2xx or 5xx is wrong.
			if resp.StatusCode != 400 || !bytes.Contains(body, []byte("<Code>AuthorizationHeaderMalformed</Code>")) {
				t.Errorf("Authorization %q: HTTP %d %s; want 400 AuthorizationHeaderMalformed", auth, resp.StatusCode, body)
			}
		}
	})

	t.Run("WrongRegion", func(t *testing.T) {
		// A client configured for another region signs with the wrong
		// credential scope. AWS: 400 AuthorizationHeaderMalformed "The
		// authorization header is malformed; the region 'us-east-1' is
		// wrong; expecting 'garage'".
		c := e.client(e.key, func(o *s3.Options) { o.Region = "us-east-1" })
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("wrong region")})
		wantAPIErr(t, err, "AuthorizationHeaderMalformed", 400)
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
		wantAPIErr(t, err, "AuthorizationHeaderMalformed", 400)
		e.wantObject(t, b, "k", []byte("original"))
	})

	t.Run("MissingContentLength", func(t *testing.T) {
		body := []byte("sent chunked, without Content-Length")
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		req := sdkReq(t, ctx, http.MethodPut, objURL, io.NopCloser(bytes.NewReader(body)))
		req.ContentLength = -1 // unknown: Transfer-Encoding: chunked
		req.Header.Set("X-Amz-Content-Sha256", hash)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: e.key.ID, SecretAccessKey: e.key.Secret}, req, hash, "s3", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := sdkHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		// AWS PutObject: 411 MissingContentLength "You must provide the
		// Content-Length HTTP header."
		wantHTTPErr(t, resp, "MissingContentLength", 411)
		e.wantObject(t, b, "k", []byte("original"))
	})

	t.Run("MissingContentSHA256", func(t *testing.T) {
		req := sdkReq(t, ctx, http.MethodPut, objURL, strings.NewReader("no hash header"))
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: e.key.ID, SecretAccessKey: e.key.Secret}, req,
			"UNSIGNED-PAYLOAD", "s3", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := sdkHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		// AWS: "Missing required header for this request:
		// x-amz-content-sha256" → 400 InvalidRequest.
		wantHTTPErr(t, resp, "InvalidRequest", 400)
		e.wantObject(t, b, "k", []byte("original"))
	})
}

// pastPresigner presigns as if it were `ago` earlier.
type pastPresigner struct {
	signer *v4.Signer
	ago    time.Duration
}

func (p pastPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	signingTime time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, signingTime.Add(-p.ago), optFns...)
}

// TestSDKPresign covers presigned GET and PUT URLs made by
// s3.NewPresignClient and fetched with net/http.
func TestSDKPresign(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "presign")
	data := randBytes(71, 70000)
	e.put(t, e.c, b, "dir/file ü.bin", data)
	pc := s3.NewPresignClient(e.c)

	do := func(t *testing.T, method, u string, hdr http.Header, body []byte) *http.Response {
		t.Helper()
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req := sdkReq(t, ctx, method, u, r)
		for k, vs := range hdr {
			if !strings.EqualFold(k, "Host") {
				req.Header[k] = vs
			}
		}
		resp, err := sdkHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	t.Run("Get", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/file ü.bin")}, s3.WithPresignExpires(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		resp := do(t, p.Method, p.URL, p.SignedHeader, nil)
		got := sdkReadBody(t, resp)
		if resp.StatusCode != 200 || !bytes.Equal(got, data) {
			t.Fatalf("presigned GET: HTTP %d, %d bytes (want %d)", resp.StatusCode, len(got), len(data))
		}
	})

	t.Run("GetWithOverride", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/file ü.bin"),
			ResponseContentDisposition: aws.String(`attachment; filename="x.bin"`)})
		if err != nil {
			t.Fatal(err)
		}
		resp := do(t, p.Method, p.URL, p.SignedHeader, nil)
		sdkReadBody(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="x.bin"` {
			t.Fatalf("presigned GET with override: HTTP %d Content-Disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
	})

	t.Run("Put", func(t *testing.T) {
		body := randBytes(72, 300000)
		p, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("uploaded/by url.bin")})
		if err != nil {
			t.Fatal(err)
		}
		resp := do(t, p.Method, p.URL, p.SignedHeader, body)
		got := sdkReadBody(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("presigned PUT: HTTP %d: %s", resp.StatusCode, got)
		}
		if etag := resp.Header.Get("ETag"); etag != sdkQuote(sdkMD5Hex(body)) {
			t.Errorf("presigned PUT ETag %q, want %q", etag, sdkQuote(sdkMD5Hex(body)))
		}
		e.wantObject(t, b, "uploaded/by url.bin", body)
	})

	t.Run("Tampered", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/file ü.bin")})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(p.URL)
		q := u.Query()
		sig := []byte(q.Get("X-Amz-Signature"))
		if sig[0] == '0' { // another hex digit: a well-formed but wrong signature
			sig[0] = '1'
		} else {
			sig[0] = '0'
		}
		q.Set("X-Amz-Signature", string(sig))
		u.RawQuery = q.Encode()
		wantHTTPErr(t, do(t, p.Method, u.String(), p.SignedHeader, nil), "SignatureDoesNotMatch", 403)

		// Another key than the presigned one.
		p, err = pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/file ü.bin")})
		if err != nil {
			t.Fatal(err)
		}
		wantHTTPErr(t, do(t, p.Method, strings.Replace(p.URL, "file%20%C3%BC.bin", "other.bin", 1), p.SignedHeader, nil), "SignatureDoesNotMatch", 403)

		// A presigned PUT whose body is then sent to another key.
		pp, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("allowed.bin")})
		if err != nil {
			t.Fatal(err)
		}
		wantHTTPErr(t, do(t, pp.Method, strings.Replace(pp.URL, "allowed.bin", "sneaky.bin", 1), pp.SignedHeader, []byte("x")), "SignatureDoesNotMatch", 403)
		e.wantNoObject(t, b, "sneaky.bin")
	})

	t.Run("Expired", func(t *testing.T) {
		past := s3.NewPresignClient(e.c, func(o *s3.PresignOptions) {
			o.Presigner = pastPresigner{signer: v4.NewSigner(), ago: time.Hour}
		})
		p, err := past.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/file ü.bin")}, s3.WithPresignExpires(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		// AWS: 403 AccessDenied "Request has expired".
		wantHTTPErr(t, do(t, p.Method, p.URL, p.SignedHeader, nil), "AccessDenied", 403)
		pp, err := past.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("late.bin")}, s3.WithPresignExpires(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		wantHTTPErr(t, do(t, pp.Method, pp.URL, pp.SignedHeader, []byte("too late")), "AccessDenied", 403)
		e.wantNoObject(t, b, "late.bin")
	})

	t.Run("ExpiresTooLong", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/file ü.bin")}, s3.WithPresignExpires(8*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		// AWS: "X-Amz-Expires must be less than a week (in seconds) that
		// is; 604800" → 400 AuthorizationQueryParametersError.
		wantHTTPErr(t, do(t, p.Method, p.URL, p.SignedHeader, nil), "AuthorizationQueryParametersError", 400)
	})

	t.Run("WrongSecret", func(t *testing.T) {
		bad := s3.NewPresignClient(e.client(Key{ID: e.key.ID, Secret: "wrong-secret"}))
		p, err := bad.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/file ü.bin")})
		if err != nil {
			t.Fatal(err)
		}
		wantHTTPErr(t, do(t, p.Method, p.URL, p.SignedHeader, nil), "SignatureDoesNotMatch", 403)
	})
}

// TestSDKVirtualHost covers virtual-hosted-style addressing:
// <bucket>.s3.localhost:PORT with root_domain ".s3.localhost".
func TestSDKVirtualHost(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	vc := e.virtualHostClient(e.key)
	b := "vhost-bucket"

	if _, err := vc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("CreateBucket (virtual host): %v", err)
	}
	data := randBytes(81, 2*mib+5)
	if _, err := vc.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("a/b c.bin"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("PutObject (virtual host): %v", err)
	}
	// Written through the virtual host, read through the path style.
	e.wantObject(t, b, "a/b c.bin", data)
	if got := e.get(t, vc, b, "a/b c.bin"); !bytes.Equal(got, data) {
		t.Fatalf("GetObject (virtual host): %d bytes, want %d", len(got), len(data))
	}
	out, err := vc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "ListObjectsV2 (virtual host)", objectKeys(out.Contents), []string{"a/b c.bin"})
	if names := e.bucketNames(t, vc); !slices.Contains(names, b) {
		t.Fatalf("ListBuckets on the root domain: %q", names)
	}
	if _, err := vc.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("HeadBucket (virtual host): %v", err)
	}
	_, err = vc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
	wantAPIErr(t, err, "NoSuchBucket", 404)
	_, err = vc.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("missing")})
	wantAPIErr(t, err, "NoSuchKey", 404)

	// Auth applies the same way.
	other := e.keyWithoutCreate(t, "vhost-other")
	_, err = e.virtualHostClient(other).GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("a/b c.bin")})
	wantAPIErr(t, err, "AccessDenied", 403)

	// A presigned virtual-host URL works with a client that resolves it.
	p, err := s3.NewPresignClient(vc).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("a/b c.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.URL, "://"+b+".s3.localhost:") {
		t.Fatalf("presigned URL %q is not virtual-hosted", p.URL)
	}
	hc := &http.Client{Timeout: sdkHTTPTimeout, Transport: &http.Transport{DialContext: sdkLoopbackDial()}}
	resp, err := hc.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got := sdkReadBody(t, resp); resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("presigned virtual-host GET: HTTP %d, %d bytes", resp.StatusCode, len(got))
	}

	if _, err := vc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("a/b c.bin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := vc.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucket (virtual host): %v", err)
	}
	_, err = e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b})
	wantAPIErr(t, err, "NotFound", 404)
}
