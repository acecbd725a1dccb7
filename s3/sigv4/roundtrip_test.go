package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/s3/sigv4"
)

const (
	testRegion = "garage"
	testKey    = "GKexample0123456789"
	testSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newVerifier() *sigv4.Verifier {
	return &sigv4.Verifier{
		Region: testRegion,
		Lookup: func(_ context.Context, id string) (string, error) {
			if id == testKey {
				return testSecret, nil
			}
			return "", fmt.Errorf("no key %q: %w", id, s3err.ErrInvalidAccessKeyID)
		},
		Now: func() time.Time { return testNow },
	}
}

// awsPathEscape escapes a key the way the AWS SDKs put it in the path:
// everything but unreserved characters and '/'.
func awsPathEscape(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// onTheWire sends a client request through its HTTP/1.1 serialisation and
// reads it back as a server does, so that Host, RequestURI, RawPath and
// Content-Length are what a handler would see.
func onTheWire(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type signed struct {
	method  string
	rawURL  string // as sent: path and query already escaped
	body    string
	headers map[string]string
	hash    string // x-amz-content-sha256; "" = hex of body
	secret  string
}

// sign signs a request with the AWS SDK's SigV4 signer, as the S3 client
// does (no extra path escaping), and returns it as a server receives it.
func sign(t testing.TB, s signed) *http.Request {
	t.Helper()
	r, err := http.NewRequest(s.method, s.rawURL, strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s.headers {
		r.Header.Set(k, v)
	}
	hash := s.hash
	if hash == "" {
		sum := sha256.Sum256([]byte(s.body))
		hash = hex.EncodeToString(sum[:])
	}
	r.Header.Set("X-Amz-Content-Sha256", hash)
	secret := s.secret
	if secret == "" {
		secret = testSecret
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: secret}
	if err := signer.SignHTTP(context.Background(), creds, r, hash, "s3", testRegion, testNow); err != nil {
		t.Fatal(err)
	}
	return onTheWire(t, r)
}

// presign presigns a request with the AWS SDK and returns it as received.
func presign(t testing.TB, method, rawURL string, expires time.Duration, headers map[string]string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := r.URL.Query()
	q.Set("X-Amz-Expires", fmt.Sprint(int(expires/time.Second)))
	r.URL.RawQuery = q.Encode()
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	u, hdr, err := signer.PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", testRegion, testNow)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if !strings.EqualFold(k, "host") {
			out.Header[k] = vs
		}
	}
	return onTheWire(t, out)
}

func code(err error) string {
	var e *s3err.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "not an S3 error: " + err.Error()
	}
	return ""
}

var awkwardKeys = []string{
	"plain.txt",
	"with space/and more  spaces.txt",
	"unicode/héllo wörld/日本語.txt",
	"plus+sign/a+b=c.txt",
	"percent%20literal/100%.txt",
	"equals=and&amp;/q?mark#hash.txt",
	"dollar$comma,semi;colon:at@bang!star*quote'paren().txt",
	"tilde~under_score-dash.dot",
	"emoji/🙂.bin",
	"trailing/",
	"a//double//slash",
}

func TestRoundTripKeys(t *testing.T) {
	v := newVerifier()
	for _, key := range awkwardKeys {
		for _, style := range []string{"aws", "go"} {
			var rawURL string
			if style == "aws" {
				rawURL = "http://localhost:3900/bucket/" + awsPathEscape(key)
			} else {
				rawURL = (&url.URL{Scheme: "http", Host: "localhost:3900", Path: "/bucket/" + key}).String()
			}
			t.Run(style+"/"+key, func(t *testing.T) {
				r := sign(t, signed{method: "PUT", rawURL: rawURL, body: "hello", headers: map[string]string{
					"X-Amz-Meta-Note": "  spaced   value ",
					"Content-Type":    "text/plain",
				}})
				if r.URL.Path != "/bucket/"+key {
					t.Fatalf("server sees path %q", r.URL.Path)
				}
				res, err := v.Verify(r)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.AccessKeyID != testKey {
					t.Errorf("AccessKeyID = %q", res.AccessKeyID)
				}
				if b, err := io.ReadAll(res.Body); err != nil || string(b) != "hello" {
					t.Errorf("body %q, %v", b, err)
				}

				p := presign(t, "GET", rawURL, time.Hour, nil)
				if _, err := v.Verify(p); err != nil {
					t.Errorf("Verify presigned: %v", err)
				}
			})
		}
	}
}

func TestRoundTripQuery(t *testing.T) {
	v := newVerifier()
	q := url.Values{}
	q.Set("prefix", "a b+c/é")
	q.Set("delimiter", "/")
	q.Set("list-type", "2")
	q.Set("continuation-token", "x=y&z")
	q.Add("empty", "")
	r := sign(t, signed{method: "GET", rawURL: "http://localhost:3900/bucket?" + q.Encode()})
	if _, err := v.Verify(r); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// A value-less sub-resource, as in ?uploads or ?acl.
	r = sign(t, signed{method: "POST", rawURL: "http://localhost:3900/bucket/key?uploads"})
	if _, err := v.Verify(r); err != nil {
		t.Fatalf("Verify ?uploads: %v", err)
	}
}

func TestRoundTripTampering(t *testing.T) {
	base := signed{method: "PUT", rawURL: "http://localhost:3900/bucket/key?tagging", body: "payload",
		headers: map[string]string{"X-Amz-Meta-Color": "blue", "Range": "bytes=0-1"}}
	tests := []struct {
		name   string
		mutate func(r *http.Request)
		secret string
		code   string
	}{
		{"untouched", nil, "", ""},
		{"signed header changed", func(r *http.Request) { r.Header.Set("Range", "bytes=0-2") }, "", "SignatureDoesNotMatch"},
		{"metadata changed", func(r *http.Request) { r.Header.Set("X-Amz-Meta-Color", "red") }, "", "SignatureDoesNotMatch"},
		{"unsigned x-amz header added", func(r *http.Request) { r.Header.Set("X-Amz-Acl", "public-read") }, "", "AccessDenied"},
		{"unsigned plain header added", func(r *http.Request) { r.Header.Set("X-Forwarded-For", "1.2.3.4") }, "", ""},
		{"query changed", func(r *http.Request) { r.URL.RawQuery = "acl" }, "", "SignatureDoesNotMatch"},
		{"query added", func(r *http.Request) { r.URL.RawQuery += "&versionId=1" }, "", "SignatureDoesNotMatch"},
		{"path changed", func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/bucket/key2", "" }, "", "SignatureDoesNotMatch"},
		{"method changed", func(r *http.Request) { r.Method = "POST" }, "", "SignatureDoesNotMatch"},
		{"host changed", func(r *http.Request) { r.Host = "evil:3900" }, "", "SignatureDoesNotMatch"},
		{"wrong secret", nil, "not-the-secret", "SignatureDoesNotMatch"},
		{"unknown key", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testKey, "GKunknown", 1))
		}, "", "InvalidAccessKeyId"},
		{"other region", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/garage/", "/us-east-1/", 1))
		}, "", "AuthorizationHeaderMalformed"},
		{"date moved", func(r *http.Request) { r.Header.Set("X-Amz-Date", "20260301T120001Z") }, "", "SignatureDoesNotMatch"},
		{"both mechanisms", func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Signature=00" }, "", "InvalidArgument"},
		{"signature v2", func(r *http.Request) { r.Header.Set("Authorization", "AWS "+testKey+":c2ln") }, "", "InvalidRequest"},
		{"no content sha256", func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }, "", "InvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.secret = tc.secret
			r := sign(t, s)
			if tc.mutate != nil {
				tc.mutate(r)
			}
			_, err := newVerifier().Verify(r)
			if got := code(err); got != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
		})
	}
}

func TestRoundTripBody(t *testing.T) {
	tests := []struct {
		name string
		body string // what is sent, the signature covers "payload"
		code string
	}{
		{"intact", "payload", ""},
		{"changed", "paYload", "XAmzContentSHA256Mismatch"},
		{"longer", "payload!", "XAmzContentSHA256Mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sign(t, signed{method: "PUT", rawURL: "http://localhost:3900/b/k", body: "payload"})
			r.Body = io.NopCloser(strings.NewReader(tc.body))
			res, err := newVerifier().Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			_, err = io.ReadAll(res.Body)
			if got := code(err); got != tc.code {
				t.Fatalf("read error %v, want %q", err, tc.code)
			}
		})
	}

	// A body cut short by the connection (net/http reports
	// io.ErrUnexpectedEOF) is IncompleteBody.
	r := sign(t, signed{method: "PUT", rawURL: "http://localhost:3900/b/k", body: "payload"})
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader("pay"), iotestErrReader{io.ErrUnexpectedEOF}))
	res, err := newVerifier().Verify(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(res.Body); code(err) != "IncompleteBody" {
		t.Fatalf("read error %v, want IncompleteBody", err)
	}

	// UNSIGNED-PAYLOAD passes any body.
	r = sign(t, signed{method: "PUT", rawURL: "http://localhost:3900/b/k", body: "anything", hash: "UNSIGNED-PAYLOAD"})
	res, err = newVerifier().Verify(r)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(res.Body); err != nil || string(b) != "anything" || res.ContentLength != 8 {
		t.Fatalf("body %q %v, length %d", b, err, res.ContentLength)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestRoundTripClock(t *testing.T) {
	r := sign(t, signed{method: "GET", rawURL: "http://localhost:3900/b/k"})
	v := newVerifier()
	for _, tc := range []struct {
		offset time.Duration
		code   string
	}{
		{14 * time.Minute, ""},
		{-14 * time.Minute, ""},
		{16 * time.Minute, "RequestTimeTooSkewed"},
		{-16 * time.Minute, "RequestTimeTooSkewed"},
	} {
		v.Now = func() time.Time { return testNow.Add(tc.offset) }
		r2 := r.Clone(context.Background())
		if _, err := v.Verify(r2); code(err) != tc.code {
			t.Errorf("clock %v: error %v, want %q", tc.offset, err, tc.code)
		}
	}
}

func TestRoundTripPresign(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Duration
		now     time.Time
		mutate  func(r *http.Request)
		code    string
		message string
	}{
		{"valid", time.Hour, testNow.Add(59 * time.Minute), nil, "", ""},
		{"expired", time.Hour, testNow.Add(61 * time.Minute), nil, "AccessDenied", "Request has expired"},
		{"seven days", 7 * 24 * time.Hour, testNow.Add(6 * 24 * time.Hour), nil, "", ""},
		{"more than seven days", 7*24*time.Hour + time.Second, testNow, nil, "AuthorizationQueryParametersError", "604800"},
		{"unsigned x-amz header", time.Hour, testNow, func(r *http.Request) { r.Header.Set("X-Amz-Copy-Source", "other/key") }, "AccessDenied", "not signed"},
		{"query tampered", time.Hour, testNow, func(r *http.Request) { r.URL.RawQuery += "&partNumber=1" }, "SignatureDoesNotMatch", ""},
		{"signed header tampered", time.Hour, testNow, func(r *http.Request) { r.Header.Set("Content-Type", "text/html") }, "SignatureDoesNotMatch", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := presign(t, "PUT", "http://localhost:3900/bucket/some%20key", tc.expires, map[string]string{"Content-Type": "image/png"})
			if tc.mutate != nil {
				tc.mutate(r)
			}
			v := newVerifier()
			v.Now = func() time.Time { return tc.now }
			res, err := v.Verify(r)
			if got := code(err); got != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if err != nil && !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %v, want message containing %q", err, tc.message)
			}
			if err == nil && res.AccessKeyID != testKey {
				t.Fatalf("AccessKeyID %q", res.AccessKeyID)
			}
		})
	}
}

func TestAnonymous(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://localhost:3900/bucket/key?list-type=2", nil)
	res, err := newVerifier().Verify(onTheWire(t, r))
	if err != nil || res.AccessKeyID != "" {
		t.Fatalf("anonymous: %v, key %q", err, res.AccessKeyID)
	}
	r, _ = http.NewRequest("PUT", "http://localhost:3900/bucket/key", strings.NewReader("x"))
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	r.Header.Set("X-Amz-Decoded-Content-Length", "1")
	if _, err := newVerifier().Verify(onTheWire(t, r)); code(err) != "AccessDenied" {
		t.Fatalf("anonymous signed stream: %v", err)
	}
}

// TestSigningKeyCacheFollowsSecret: signing keys are cached per secret, so
// a request signed with the old secret of a key whose secret changed is
// refused, and one signed with the new secret accepted.
func TestSigningKeyCacheFollowsSecret(t *testing.T) {
	secret := testSecret
	v := newVerifier()
	v.Lookup = func(context.Context, string) (string, error) { return secret, nil }
	req := func(s string) *http.Request {
		return sign(t, signed{method: "GET", rawURL: "http://bucket.example/key", secret: s})
	}
	for i := 0; i < 2; i++ { // the second time from the cache
		if _, err := v.Verify(req(testSecret)); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	secret = "another-secret-another-secret-12"
	if _, err := v.Verify(req(testSecret)); !errors.Is(err, s3err.ErrSignatureDoesNotMatch) {
		t.Fatalf("old secret after rotation: err = %v, want SignatureDoesNotMatch", err)
	}
	if _, err := v.Verify(req(secret)); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}
