package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKBucket covers ListBuckets, CreateBucket, HeadBucket,
// GetBucketLocation and DeleteBucket with their client-triggered errors.
func TestSDKBucket(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	before := time.Now().Add(-time.Minute)

	t.Run("CreateAndList", func(t *testing.T) {
		e.bucket(t, "list-b")
		e.bucket(t, "list-a")
		out, err := e.c.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range out.Buckets {
			names = append(names, aws.ToString(b.Name))
			if b.CreationDate == nil || b.CreationDate.Before(before) || b.CreationDate.After(time.Now().Add(time.Minute)) {
				t.Errorf("bucket %s: CreationDate %v, want about now", aws.ToString(b.Name), b.CreationDate)
			}
		}
		if !slices.Contains(names, "list-a") || !slices.Contains(names, "list-b") || !slices.IsSorted(names) {
			t.Fatalf("ListBuckets: got %q, want list-a and list-b, sorted", names)
		}
	})

	t.Run("CreateExistingOwned", func(t *testing.T) {
		e.bucket(t, "dup")
		e.put(t, e.c, "dup", "keep", []byte("keep me"))
		_, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dup")})
		// AWS CreateBucket: outside us-east-1, re-creating your own bucket is
		// 409 BucketAlreadyOwnedByYou.
		wantAPIErr(t, err, "BucketAlreadyOwnedByYou", 409)
		e.wantObject(t, "dup", "keep", []byte("keep me"))
	})

	t.Run("CreateExistingOther", func(t *testing.T) {
		e.bucket(t, "taken")
		other := e.cliNode().NewKey(t, "other-creator")
		_, err := e.client(other).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("taken")})
		wantAPIErr(t, err, "BucketAlreadyExists", 409)
		if names := e.bucketNames(t, e.client(other)); slices.Contains(names, "taken") {
			t.Fatalf("other key lists bucket it failed to create: %q", names)
		}
	})

	t.Run("CreateInvalidName", func(t *testing.T) {
		for _, name := range []string{"Upper_Case", "ab", "-leading-dash", strings.Repeat("a", 64), "192.168.5.4"} {
			_, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
			wantAPIErr(t, err, "InvalidBucketName", 400)
			if slices.Contains(e.bucketNames(t, e.c), name) {
				t.Fatalf("invalid bucket %q was created", name)
			}
		}
	})

	t.Run("Head", func(t *testing.T) {
		e.bucket(t, "head-me")
		if _, err := e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("head-me")}); err != nil {
			t.Fatalf("HeadBucket: %v", err)
		}
		_, err := e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket")})
		wantAPIErr(t, err, "NotFound", 404) // HEAD: no body, the SDK names the status
		stranger := e.keyWithoutCreate(t, "head-stranger")
		_, err = e.client(stranger).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("head-me")})
		wantAPIErr(t, err, "Forbidden", 403)
	})

	t.Run("Location", func(t *testing.T) {
		e.bucket(t, "loc")
		out, err := e.c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("loc")})
		if err != nil {
			t.Fatal(err)
		}
		if out.LocationConstraint != types.BucketLocationConstraint(region) {
			t.Fatalf("LocationConstraint %q, want %q", out.LocationConstraint, region)
		}
		_, err = e.c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("no-such-bucket")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
	})

	t.Run("DeleteOnlyWhenEmpty", func(t *testing.T) {
		e.bucket(t, "del-me")
		e.put(t, e.c, "del-me", "obj", []byte("x"))
		_, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("del-me")})
		wantAPIErr(t, err, "BucketNotEmpty", 409)
		e.wantObject(t, "del-me", "obj", []byte("x"))
		e.wantKeys(t, "del-me", "", "obj")

		if _, err := e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("del-me"), Key: aws.String("obj")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("del-me")}); err != nil {
			t.Fatalf("DeleteBucket of empty bucket: %v", err)
		}
		_, err = e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("del-me")})
		wantAPIErr(t, err, "NotFound", 404)
		if slices.Contains(e.bucketNames(t, e.c), "del-me") {
			t.Fatal("deleted bucket still listed")
		}
		_, err = e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("del-me")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
		// The name is free again.
		e.bucket(t, "del-me")
		e.wantKeys(t, "del-me", "")
	})

	t.Run("DeleteNotOwner", func(t *testing.T) {
		e.bucket(t, "del-guarded")
		rw := e.keyWithoutCreate(t, "del-rw")
		e.allow(t, "del-guarded", rw, "--read", "--write")
		_, err := e.client(rw).DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("del-guarded")})
		wantAPIErr(t, err, "AccessDenied", 403)
		if _, err := e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("del-guarded")}); err != nil {
			t.Fatalf("bucket gone after denied delete: %v", err)
		}
	})

	t.Run("ObjectOpsOnMissingBucket", func(t *testing.T) {
		_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
		_, err = e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
		_, err = e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
	})
}

// TestSDKBucketWebsite covers Put/Get/DeleteBucketWebsite and that the S3
// call switches the bucket's website access seen by the admin API.
func TestSDKBucketWebsite(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "site")

	_, err := e.c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: &b})
	wantAPIErr(t, err, "NoSuchWebsiteConfiguration", 404)
	if bi := e.bucketInfo(t, b); bi.WebsiteAccess {
		t.Fatal("new bucket has website access")
	}

	_, err = e.c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: &b, WebsiteConfiguration: &types.WebsiteConfiguration{
		IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")},
		ErrorDocument: &types.ErrorDocument{Key: aws.String("errors/404.html")},
	}})
	if err != nil {
		t.Fatalf("PutBucketWebsite: %v", err)
	}
	out, err := e.c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: &b})
	if err != nil {
		t.Fatalf("GetBucketWebsite: %v", err)
	}
	if out.IndexDocument == nil || aws.ToString(out.IndexDocument.Suffix) != "index.html" ||
		out.ErrorDocument == nil || aws.ToString(out.ErrorDocument.Key) != "errors/404.html" {
		t.Fatalf("GetBucketWebsite: index %+v error %+v, want index.html and errors/404.html", out.IndexDocument, out.ErrorDocument)
	}
	bi := e.bucketInfo(t, b)
	if !bi.WebsiteAccess || bi.WebsiteConfig == nil || bi.WebsiteConfig.IndexDocument != "index.html" || bi.WebsiteConfig.ErrorDocument != "errors/404.html" {
		t.Fatalf("bucket info after PutBucketWebsite: websiteAccess %v config %+v, want enabled with index.html / errors/404.html", bi.WebsiteAccess, bi.WebsiteConfig)
	}

	t.Run("InvalidConfig", func(t *testing.T) {
		// AWS: "A value for IndexDocument Suffix must be provided if
		// RedirectAllRequestsTo is empty" (InvalidArgument) and "The
		// IndexDocument Suffix is not well formed" (InvalidArgument).
		for name, cfg := range map[string]*types.WebsiteConfiguration{
			"no index":       {ErrorDocument: &types.ErrorDocument{Key: aws.String("e.html")}},
			"slash in index": {IndexDocument: &types.IndexDocument{Suffix: aws.String("a/index.html")}},
			"empty index":    {IndexDocument: &types.IndexDocument{Suffix: aws.String("")}},
		} {
			_, err := e.c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: &b, WebsiteConfiguration: cfg})
			if err == nil {
				t.Fatalf("%s: PutBucketWebsite accepted an invalid configuration", name)
			}
			wantAPIErr(t, err, "InvalidArgument", 400)
		}
		out, err := e.c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: &b})
		if err != nil || aws.ToString(out.IndexDocument.Suffix) != "index.html" {
			t.Fatalf("configuration changed by rejected puts: %+v, %v", out, err)
		}
	})

	t.Run("NotOwner", func(t *testing.T) {
		rw := e.keyWithoutCreate(t, "site-rw")
		e.allow(t, b, rw, "--read", "--write")
		_, err := e.client(rw).PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: &b, WebsiteConfiguration: &types.WebsiteConfiguration{
			IndexDocument: &types.IndexDocument{Suffix: aws.String("other.html")},
		}})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = e.client(rw).DeleteBucketWebsite(ctx, &s3.DeleteBucketWebsiteInput{Bucket: &b})
		wantAPIErr(t, err, "AccessDenied", 403)
		if bi := e.bucketInfo(t, b); !bi.WebsiteAccess || bi.WebsiteConfig == nil || bi.WebsiteConfig.IndexDocument != "index.html" {
			t.Fatalf("website changed by denied calls: %+v", bi)
		}
	})

	t.Run("MissingBucket", func(t *testing.T) {
		_, err := e.c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: aws.String("no-such-bucket"), WebsiteConfiguration: &types.WebsiteConfiguration{
			IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")},
		}})
		wantAPIErr(t, err, "NoSuchBucket", 404)
	})

	t.Run("Delete", func(t *testing.T) {
		if _, err := e.c.DeleteBucketWebsite(ctx, &s3.DeleteBucketWebsiteInput{Bucket: &b}); err != nil {
			t.Fatalf("DeleteBucketWebsite: %v", err)
		}
		_, err := e.c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: &b})
		wantAPIErr(t, err, "NoSuchWebsiteConfiguration", 404)
		if bi := e.bucketInfo(t, b); bi.WebsiteAccess {
			t.Fatalf("bucket info after DeleteBucketWebsite: websiteAccess still true (%+v)", bi.WebsiteConfig)
		}
		// Deleting again is not an error (AWS answers 204).
		if _, err := e.c.DeleteBucketWebsite(ctx, &s3.DeleteBucketWebsiteInput{Bucket: &b}); err != nil {
			t.Fatalf("second DeleteBucketWebsite: %v", err)
		}
	})
}

// TestSDKBucketCORS covers Put/Get/DeleteBucketCors, preflight OPTIONS
// requests and CORS headers on actual requests.
func TestSDKBucketCORS(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "cors")
	e.put(t, e.c, b, "obj.txt", []byte("cors body"))

	preflight := func(t *testing.T, origin, method, headers string) *http.Response {
		t.Helper()
		req := sdkReq(t, ctx, http.MethodOptions, e.s3URL()+"/"+b+"/obj.txt", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := sdkHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	_, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &b})
	wantAPIErr(t, err, "NoSuchCORSConfiguration", 404)
	// AWS: a preflight on a bucket without CORS is 403 AccessForbidden
	// ("CORSResponse: CORS is not enabled for this bucket.").
	wantHTTPErr(t, preflight(t, "https://app.example.com", "GET", ""), "AccessForbidden", 403)

	rules := []types.CORSRule{
		{
			AllowedOrigins: []string{"https://app.example.com"},
			AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"content-type", "x-amz-meta-*"},
			ExposeHeaders:  []string{"ETag", "x-amz-request-id"},
			MaxAgeSeconds:  aws.Int32(600),
		},
		{
			AllowedOrigins: []string{"*"},
			AllowedMethods: []string{"HEAD"},
		},
	}
	if _, err := e.c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}

	t.Run("Get", func(t *testing.T) {
		out, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &b})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.CORSRules) != 2 {
			t.Fatalf("GetBucketCors: %d rules, want 2: %+v", len(out.CORSRules), out.CORSRules)
		}
		r := out.CORSRules[0]
		if !slices.Equal(r.AllowedOrigins, rules[0].AllowedOrigins) || !slices.Equal(r.AllowedMethods, rules[0].AllowedMethods) ||
			!slices.Equal(r.AllowedHeaders, rules[0].AllowedHeaders) || !slices.Equal(r.ExposeHeaders, rules[0].ExposeHeaders) ||
			aws.ToInt32(r.MaxAgeSeconds) != 600 {
			t.Fatalf("rule 0: got %+v, want %+v", r, rules[0])
		}
		r = out.CORSRules[1]
		if !slices.Equal(r.AllowedOrigins, []string{"*"}) || !slices.Equal(r.AllowedMethods, []string{"HEAD"}) {
			t.Fatalf("rule 1: got %+v, want %+v", r, rules[1])
		}
	})

	t.Run("PreflightAllowed", func(t *testing.T) {
		resp := preflight(t, "https://app.example.com", "PUT", "Content-Type, X-Amz-Meta-Color")
		body := sdkReadBody(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("preflight: HTTP %d, want 200: %s", resp.StatusCode, body)
		}
		h := resp.Header
		if got := h.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
			t.Errorf("Access-Control-Allow-Origin %q, want https://app.example.com", got)
		}
		if got := h.Get("Access-Control-Allow-Methods"); !headerLists(got, "PUT") {
			t.Errorf("Access-Control-Allow-Methods %q, want it to list PUT", got)
		}
		if got := h.Get("Access-Control-Allow-Headers"); !headerLists(got, "content-type") || !headerLists(got, "x-amz-meta-color") {
			t.Errorf("Access-Control-Allow-Headers %q, want content-type and x-amz-meta-color", got)
		}
		if got := h.Get("Access-Control-Max-Age"); got != "600" {
			t.Errorf("Access-Control-Max-Age %q, want 600", got)
		}
		if got := h.Get("Access-Control-Expose-Headers"); !headerLists(got, "ETag") {
			t.Errorf("Access-Control-Expose-Headers %q, want ETag", got)
		}
	})

	t.Run("PreflightWildcardOrigin", func(t *testing.T) {
		resp := preflight(t, "https://anyone.example.org", "HEAD", "")
		sdkReadBody(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("preflight HEAD from any origin: HTTP %d, want 200", resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" && got != "https://anyone.example.org" {
			t.Fatalf("Access-Control-Allow-Origin %q, want * or the origin", got)
		}
	})

	t.Run("PreflightDenied", func(t *testing.T) {
		// Method not allowed for this origin, origin not listed, header not allowed.
		wantHTTPErr(t, preflight(t, "https://anyone.example.org", "PUT", ""), "AccessForbidden", 403)
		wantHTTPErr(t, preflight(t, "https://evil.example.net", "GET", ""), "AccessForbidden", 403)
		wantHTTPErr(t, preflight(t, "https://app.example.com", "GET", "x-not-allowed"), "AccessForbidden", 403)
	})

	t.Run("ActualRequestHeaders", func(t *testing.T) {
		req := sdkReq(t, ctx, http.MethodGet, e.s3URL()+"/"+b+"/obj.txt", nil)
		req.Header.Set("Origin", "https://app.example.com")
		resp := sdkSignedDo(t, e.key, req, nil, time.Now())
		body := sdkReadBody(t, resp)
		if resp.StatusCode != 200 || string(body) != "cors body" {
			t.Fatalf("GET with Origin: HTTP %d %q", resp.StatusCode, body)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
			t.Errorf("Access-Control-Allow-Origin %q on GET, want https://app.example.com", got)
		}
		if got := resp.Header.Get("Access-Control-Expose-Headers"); !headerLists(got, "ETag") {
			t.Errorf("Access-Control-Expose-Headers %q on GET, want ETag", got)
		}
	})

	t.Run("InvalidConfig", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			rules []types.CORSRule
			code  string
		}{
			// AWS: "Found unsupported HTTP method in CORS config.
			// Unsupported method is FOO" → 400 InvalidRequest.
			{"unsupported method", []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"FOO"}}}, "InvalidRequest"},
			// No rule at all, or a rule without AllowedOrigin, does not
			// validate against the schema → 400 MalformedXML.
			{"no rules", []types.CORSRule{}, "MalformedXML"},
			{"rule without origin", []types.CORSRule{{AllowedOrigins: []string{}, AllowedMethods: []string{"GET"}}}, "MalformedXML"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: &types.CORSConfiguration{CORSRules: tc.rules}})
				wantAPIErr(t, err, tc.code, 400)
				out, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &b})
				if err != nil || len(out.CORSRules) != 2 {
					t.Fatalf("CORS changed by a rejected put: %+v %v", out, err)
				}
			})
		}
	})

	t.Run("NotOwner", func(t *testing.T) {
		rw := e.keyWithoutCreate(t, "cors-rw")
		e.allow(t, b, rw, "--read", "--write")
		_, err := e.client(rw).PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{
			{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
		}}})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = e.client(rw).DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: &b})
		wantAPIErr(t, err, "AccessDenied", 403)
		out, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &b})
		if err != nil || len(out.CORSRules) != 2 {
			t.Fatalf("CORS changed by denied calls: %+v %v", out, err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		if _, err := e.c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: &b}); err != nil {
			t.Fatalf("DeleteBucketCors: %v", err)
		}
		_, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &b})
		wantAPIErr(t, err, "NoSuchCORSConfiguration", 404)
		wantHTTPErr(t, preflight(t, "https://app.example.com", "GET", ""), "AccessForbidden", 403)
	})
}
