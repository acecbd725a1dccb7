package sigv2

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/garage-web/garage-web/s3/s3err"
)

var testNow = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

func testVerifier() *Verifier {
	return &Verifier{
		RootDomain: ".s3.localhost",
		Now:        func() time.Time { return testNow },
		Lookup: func(_ context.Context, id string) (string, error) {
			if id != exampleID {
				return "", s3err.ErrInvalidAccessKeyID
			}
			return exampleSecret, nil
		},
	}
}

// signHeader signs r as a V2 client does, with resource as the canonical
// resource and its Date header.
func signHeader(r *http.Request, resource string) {
	sts := StringToSign(r.Method, r.Header, r.Header.Get("Date"), resource)
	if r.Header.Get("X-Amz-Date") != "" {
		sts = StringToSign(r.Method, r.Header, "", resource)
	}
	r.Header.Set("Authorization", "AWS "+exampleID+":"+Sign(exampleSecret, sts))
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *s3err.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func TestVerifyHeader(t *testing.T) {
	v := testVerifier()
	date := testNow.Add(-time.Minute).Format(http.TimeFormat)
	newReq := func() *http.Request {
		r := httptest.NewRequest("PUT", "/bucket/a%20key?uploadId=u&partNumber=2", nil)
		r.Header.Set("Date", date)
		r.Header.Set("Content-Type", "text/plain")
		r.Header.Set("X-Amz-Meta-Color", "blue")
		return r
	}
	r := newReq()
	signHeader(r, "/bucket/a%20key?partNumber=2&uploadId=u")
	if !IsSigned(r) {
		t.Fatal("IsSigned is false for a V2 header")
	}
	if id, err := v.Verify(r); err != nil || id != exampleID {
		t.Fatalf("Verify: %q, %v", id, err)
	}

	t.Run("decoded path signed", func(t *testing.T) {
		r := newReq()
		signHeader(r, "/bucket/a key?partNumber=2&uploadId=u")
		if _, err := v.Verify(r); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("virtual host", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/k?acl", nil)
		r.Host = "bucket.s3.localhost:3900"
		r.Header.Set("Date", date)
		signHeader(r, "/bucket/k?acl")
		if _, err := v.Verify(r); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("x-amz-date", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/bucket/k", nil)
		r.Header.Set("X-Amz-Date", date)
		r.Header.Set("Date", "Thu, 01 Jan 1970 00:00:00 GMT") // ignored
		signHeader(r, "/bucket/k")
		if _, err := v.Verify(r); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		for name, change := range map[string]func(r *http.Request){
			"header":   func(r *http.Request) { r.Header.Set("X-Amz-Meta-Color", "red") },
			"type":     func(r *http.Request) { r.Header.Set("Content-Type", "text/html") },
			"resource": func(r *http.Request) { r.URL.RawQuery = "uploadId=v&partNumber=2" },
			"method":   func(r *http.Request) { r.Method = "DELETE" },
		} {
			r := newReq()
			signHeader(r, "/bucket/a%20key?partNumber=2&uploadId=u")
			change(r)
			_, err := v.Verify(r)
			if err == nil {
				t.Fatalf("%s changed: accepted", name)
			}
			wantCode(t, err, "SignatureDoesNotMatch")
		}
	})
	t.Run("skew", func(t *testing.T) {
		r := newReq()
		r.Header.Set("Date", testNow.Add(-16*time.Minute).Format(http.TimeFormat))
		signHeader(r, "/bucket/a%20key?partNumber=2&uploadId=u")
		_, err := v.Verify(r)
		wantCode(t, err, "RequestTimeTooSkewed")
	})
	t.Run("no date", func(t *testing.T) {
		r := newReq()
		r.Header.Del("Date")
		signHeader(r, "/bucket/a%20key?partNumber=2&uploadId=u")
		_, err := v.Verify(r)
		wantCode(t, err, "AccessDenied")
	})
	t.Run("unknown key", func(t *testing.T) {
		r := newReq()
		r.Header.Set("Authorization", "AWS NOSUCHKEY:c2ln")
		_, err := v.Verify(r)
		wantCode(t, err, "InvalidAccessKeyId")
	})
	t.Run("malformed", func(t *testing.T) {
		for _, a := range []string{"AWS ", "AWS nocolon", "AWS :sig", "AWS id:", "AWS id:a b"} {
			r := newReq()
			r.Header.Set("Authorization", a)
			_, err := v.Verify(r)
			wantCode(t, err, "InvalidArgument")
		}
	})
	t.Run("both", func(t *testing.T) {
		r := newReq()
		signHeader(r, "/x")
		r.URL.RawQuery = "Signature=x"
		_, err := v.Verify(r)
		wantCode(t, err, "InvalidArgument")
	})
}

func presignURL(path string, expires time.Time, resource string) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	sig := Sign(exampleSecret, StringToSign("GET", http.Header{}, exp, resource))
	q := url.Values{qAccessKeyID: {exampleID}, qExpires: {exp}, qSignature: {sig}}
	return path + "?" + q.Encode()
}

func TestVerifyPresigned(t *testing.T) {
	v := testVerifier()
	r := httptest.NewRequest("GET", presignURL("/bucket/k", testNow.Add(time.Hour), "/bucket/k"), nil)
	if !IsSigned(r) {
		t.Fatal("IsSigned is false for a presigned URL")
	}
	if id, err := v.Verify(r); err != nil || id != exampleID {
		t.Fatalf("Verify: %q, %v", id, err)
	}
	// Long validity: V2 URLs have no upper bound.
	r = httptest.NewRequest("GET", presignURL("/bucket/k", testNow.Add(400*24*time.Hour), "/bucket/k"), nil)
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}

	r = httptest.NewRequest("GET", presignURL("/bucket/k", testNow.Add(-time.Second), "/bucket/k"), nil)
	_, err := v.Verify(r)
	wantCode(t, err, "AccessDenied")
	if e, _ := s3err.From(err); e.Message != "Request has expired" {
		t.Fatalf("expired message %q", e.Message)
	}

	r = httptest.NewRequest("GET", presignURL("/bucket/other", testNow.Add(time.Hour), "/bucket/k"), nil)
	_, err = v.Verify(r)
	wantCode(t, err, "SignatureDoesNotMatch")

	for _, q := range []string{"AWSAccessKeyId=" + exampleID + "&Signature=x", "AWSAccessKeyId=a&Expires=soon&Signature=x", "Expires=1&Signature=x"} {
		r = httptest.NewRequest("GET", "/bucket/k?"+q, nil)
		_, err = v.Verify(r)
		wantCode(t, err, "AccessDenied")
	}
}

func TestIsSigned(t *testing.T) {
	for _, tc := range []struct {
		target, authz string
		want          bool
	}{
		{"/b/k", "", false},
		{"/b/k", "AWS4-HMAC-SHA256 Credential=x", false},
		{"/b/k", "AWS id:sig", true},
		{"/b/k?Signature=x", "", true},
		{"/b/k?AWSAccessKeyId=x", "", true},
		{"/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=x&Signature=x", "", false},
	} {
		r := httptest.NewRequest("GET", tc.target, nil)
		if tc.authz != "" {
			r.Header.Set("Authorization", tc.authz)
		}
		if got := IsSigned(r); got != tc.want {
			t.Errorf("IsSigned(%s, %q) = %v", tc.target, tc.authz, got)
		}
	}
}

func TestVerifyPostForm(t *testing.T) {
	v := testVerifier()
	policy := "eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0="
	form := map[string]string{"AWSAccessKeyId": exampleID, "Policy": policy, "Signature": Sign(exampleSecret, policy), "key": "k"}
	if !IsPostForm(form) {
		t.Fatal("IsPostForm false")
	}
	if id, err := v.VerifyPostForm(context.Background(), form); err != nil || id != exampleID {
		t.Fatalf("VerifyPostForm: %q, %v", id, err)
	}
	form["Signature"] = Sign("wrong", policy)
	_, err := v.VerifyPostForm(context.Background(), form)
	wantCode(t, err, "SignatureDoesNotMatch")
	delete(form, "Policy")
	_, err = v.VerifyPostForm(context.Background(), form)
	wantCode(t, err, "InvalidArgument")
	if IsPostForm(map[string]string{"x-amz-signature": "s", "x-amz-credential": "c", "policy": "p"}) {
		t.Fatal("a SigV4 form is taken for V2")
	}
}

// TestBucketTrailingSlash: a path-style bucket request may be signed with
// "/bucket/" as its resource (botocore does).
func TestBucketTrailingSlash(t *testing.T) {
	v := testVerifier()
	r := httptest.NewRequest("PUT", "/bucket", nil)
	r.Header.Set("Date", testNow.Format(http.TimeFormat))
	signHeader(r, "/bucket/")
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
}

// TestBotocoreDoubledSubresource: botocore 1.29 signs "/b/k?uploads?uploads".
func TestBotocoreDoubledSubresource(t *testing.T) {
	v := testVerifier()
	r := httptest.NewRequest("POST", "/b/k?uploads", nil)
	r.Header.Set("Date", testNow.Format(http.TimeFormat))
	signHeader(r, "/b/k?uploads?uploads")
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	// Only for a lone valueless sub-resource.
	r = httptest.NewRequest("GET", "/b/k?versionId=1", nil)
	r.Header.Set("Date", testNow.Format(http.TimeFormat))
	signHeader(r, "/b/k?versionId=1?versionId=1")
	_, err := v.Verify(r)
	wantCode(t, err, "SignatureDoesNotMatch")
}
