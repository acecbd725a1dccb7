package node

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/garage-web/garage-web/model"
)

// webGet sends a request to the web endpoint at base with the Host header
// host.
func webDo(t *testing.T, method, base, host, path string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DisableCompression: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func pseudoRandom(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	r.Read(b)
	return b
}

// TestWebEndpoint serves a bucket written through the S3 API from the
// node's web endpoint: the real model, multi-block streaming, ranges
// across blocks, precompressed siblings, uploads and metrics.
func TestWebEndpoint(t *testing.T) {
	n, c := testNode(t)
	ctx := context.Background()
	srv := httptest.NewServer(n.WebHandler())
	t.Cleanup(srv.Close)
	const host = "blog.web.localhost:3902"

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("blog")}); err != nil {
		t.Fatal(err)
	}
	big := pseudoRandom(1, 3<<20+12345)
	put := func(key string, data []byte, ctype string) {
		in := &s3.PutObjectInput{Bucket: aws.String("blog"), Key: aws.String(key), Body: bytes.NewReader(data)}
		if ctype != "" {
			in.ContentType = aws.String(ctype)
		}
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put("index.html", []byte("<h1>home</h1>"), "text/html")
	put("404.html", []byte("<h1>missing</h1>"), "text/html")
	put("docs/index.html", []byte("<h1>docs</h1>"), "")
	put("big.bin", big, "")
	put("app.js", []byte(strings.Repeat("console.log(1);", 100)), "text/javascript")
	put("app.js.gz", []byte("not really gzip"), "application/gzip")

	// Not a website yet: the same 404 as a bucket that does not exist.
	if resp, body := webDo(t, "GET", srv.URL, host, "/", nil); resp.StatusCode != 404 || string(body) != "404 Not Found\n" {
		t.Fatalf("before website access: %d %q", resp.StatusCode, body)
	}
	if _, err := c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: aws.String("blog"), WebsiteConfiguration: &types.WebsiteConfiguration{
		IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")},
		ErrorDocument: &types.ErrorDocument{Key: aws.String("404.html")},
	}}); err != nil {
		t.Fatal(err)
	}

	if resp, body := webDo(t, "GET", srv.URL, host, "/", nil); resp.StatusCode != 200 || string(body) != "<h1>home</h1>" {
		t.Errorf("GET /: %d %q", resp.StatusCode, body)
	}
	if resp, _ := webDo(t, "GET", srv.URL, host, "/docs", nil); resp.StatusCode != 302 || resp.Header.Get("Location") != "/docs/" {
		t.Errorf("GET /docs: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := webDo(t, "GET", srv.URL, host, "/nope", nil); resp.StatusCode != 404 || string(body) != "<h1>missing</h1>" {
		t.Errorf("GET /nope: %d %q", resp.StatusCode, body)
	}
	resp, body := webDo(t, "GET", srv.URL, host, "/big.bin", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, big) || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("GET /big.bin: %d, %d bytes (want %d), type %q", resp.StatusCode, len(body), len(big), resp.Header.Get("Content-Type"))
	}
	etag := resp.Header.Get("ETag")
	// Ranges across block boundaries (1 MiB blocks).
	for _, rg := range [][2]int{{1<<20 - 10, 1<<20 + 10}, {0, 0}, {2<<20 - 1, 3<<20 + 5}, {len(big) - 1, len(big) - 1}} {
		resp, body := webDo(t, "GET", srv.URL, host, "/big.bin", nil, "Range", fmt.Sprintf("bytes=%d-%d", rg[0], rg[1]))
		if resp.StatusCode != 206 || !bytes.Equal(body, big[rg[0]:rg[1]+1]) {
			t.Errorf("range %v: %d, %d bytes", rg, resp.StatusCode, len(body))
		}
	}
	if resp, _ := webDo(t, "GET", srv.URL, host, "/big.bin", nil, "If-None-Match", etag); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	resp, body = webDo(t, "GET", srv.URL, host, "/app.js", nil, "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || string(body) != "not really gzip" || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "text/javascript" {
		t.Errorf("precompressed: %d %q %q %q", resp.StatusCode, body, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
	}

	// Uploads: off for this site, then on through the website document.
	k, err := n.model.CreateKey(ctx, "uploader")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.model.ResolveBucket(ctx, "blog")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.model.SetPermissions(ctx, b.ID, k.ID, model.Permissions{Read: true, Write: true}); err != nil {
		t.Fatal(err)
	}
	upload := func() *http.Response {
		req, _ := http.NewRequest("PUT", srv.URL+"/nar/abc.nar.xz", bytes.NewReader(big[:2<<20]))
		req.Host = host
		req.SetBasicAuth(k.ID, k.Secret)
		req.Header.Set("Content-Type", "application/x-nix-nar")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := upload(); resp.StatusCode != 405 {
		t.Fatalf("PUT without uploads enabled: %d, want 405", resp.StatusCode)
	}
	if err := n.model.SetWebsite(ctx, b.ID, &model.WebsiteConfig{IndexDocument: "index.html", Uploads: true}); err != nil {
		t.Fatal(err)
	}
	resp = upload()
	sum := md5.Sum(big[:2<<20])
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Fatalf("PUT with uploads enabled: %d ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("blog"), Key: aws.String("nar/abc.nar.xz")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	if !bytes.Equal(got, big[:2<<20]) || aws.ToString(out.ContentType) != "application/x-nix-nar" {
		t.Errorf("uploaded object read over S3: %d bytes, type %q", len(got), aws.ToString(out.ContentType))
	}
}

// TestWebClientGoesAway checks that a download whose client disconnects
// ends on the server instead of streaming the rest of the object.
func TestWebClientGoesAway(t *testing.T) {
	n, c := testNode(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media")}); err != nil {
		t.Fatal(err)
	}
	data := pseudoRandom(2, 32<<20)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("media"), Key: aws.String("movie.bin"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	b, err := n.model.ResolveBucket(ctx, "media")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.model.SetWebsite(ctx, b.ID, &model.WebsiteConfig{IndexDocument: "index.html"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	h := n.WebHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+"/movie.bin", nil)
	req.Host = "media.web.localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	resp.Body.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler still streams 10s after the client went away")
	}
}
