package e2e

// Early refusals of requests that announce their body with
// "Expect: 100-continue" (issue 10): the client sends the body only after
// an answer, so a refusal must be answered at once, before any body.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// expectAnswerTimeout bounds how long a refused 100-continue request may
// wait for its answer; a hang is a failure, not a slow pass.
const expectAnswerTimeout = 15 * time.Second

// sendExpectContinue sends the head of a request with "Expect:
// 100-continue" and a declared body of size bytes, never its body, and
// returns the first answer read (a 100 Continue is not an answer to a
// refusal, so it is reported as such).
func sendExpectContinue(t *testing.T, addr, method, path string, size int, extra http.Header) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n", method, path, addr, size)
	for name, vs := range extra {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(expectAnswerTimeout)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s with Expect: 100-continue and an unsent %d-byte body: no answer within %v: %v", method, path, size, expectAnswerTimeout, err)
	}
	return resp
}

func TestExpectContinueEarlyRefusals(t *testing.T) {
	e := newSDKEnv(t)
	bucket := e.bucket(t, "expect-owner")
	other := e.keyWithoutCreate(t, "expect-other")
	for _, size := range []int{1000, 200 << 10} {
		t.Run(fmt.Sprintf("other-keys-bucket-%d", size), func(t *testing.T) {
			resp := sendExpectContinue(t, e.n.S3Addr, http.MethodPut, "/"+bucket+"/k", size, signedHead(t, other, e.n.S3Addr, "/"+bucket+"/k", size))
			wantHTTPErr(t, resp, "AccessDenied", http.StatusForbidden)
		})
		t.Run(fmt.Sprintf("missing-bucket-%d", size), func(t *testing.T) {
			resp := sendExpectContinue(t, e.n.S3Addr, http.MethodPut, "/no-such-bucket-here/k", size, signedHead(t, e.key, e.n.S3Addr, "/no-such-bucket-here/k", size))
			wantHTTPErr(t, resp, "NoSuchBucket", http.StatusNotFound)
		})
		t.Run(fmt.Sprintf("anonymous-%d", size), func(t *testing.T) {
			resp := sendExpectContinue(t, e.n.S3Addr, http.MethodPut, "/"+bucket+"/k", size, nil)
			wantHTTPErr(t, resp, "AccessDenied", http.StatusForbidden)
		})
		t.Run(fmt.Sprintf("bad-signature-%d", size), func(t *testing.T) {
			h := http.Header{}
			h.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			h.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
			h.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+e.key.ID+"/"+time.Now().UTC().Format("20060102")+
				"/garage/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="+strings.Repeat("0", 64))
			resp := sendExpectContinue(t, e.n.S3Addr, http.MethodPut, "/"+bucket+"/k", size, h)
			wantHTTPErr(t, resp, "SignatureDoesNotMatch", http.StatusForbidden)
		})
	}
}

// signedHead is the signed headers of a PUT of path with an unsigned
// payload of size bytes, for sendExpectContinue.
func signedHead(t *testing.T, k Key, addr, path string, size int) http.Header {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(size)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner().SignHTTP(req.Context(), aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret},
		req, "UNSIGNED-PAYLOAD", "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req.Header
}

// TestExpectContinueOtherEndpoints: the web and admin endpoints answer an
// early refusal of a 100-continue request at once too.
func TestExpectContinueOtherEndpoints(t *testing.T) {
	n := startNode(t)
	for name, addr := range map[string]string{"web": n.WebAddr, "admin": n.AdminAddr} {
		t.Run(name, func(t *testing.T) {
			resp := sendExpectContinue(t, addr, http.MethodPut, "/some/key", 1000, nil)
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Fatalf("unauthenticated PUT on the %s endpoint: %s, want a refusal", name, resp.Status)
			}
		})
	}
}
