package e2e

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// webResponse is one answer of the web endpoint.
type webResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// webHTTP is the client for web endpoint checks: no transparent
// decompression (tests look at the bytes sent) and no redirect following.
var webHTTP = &http.Client{
	Timeout:       30 * time.Second,
	Transport:     &http.Transport{DisableCompression: true, Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// WebHost is the Host of bucket's website on the node (with the port, as
// a browser sends it).
func (n *Node) WebHost(bucket string) string {
	_, port, _ := strings.Cut(n.WebAddr, ":")
	return bucket + ".web.localhost:" + port
}

// WebDo sends a request to the node's web endpoint with the given Host;
// header holds name, value pairs.
func (n *Node) WebDo(t testing.TB, method, host, path string, body []byte, header ...string) webResponse {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+n.WebAddr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := webHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s http://%s%s: %v", method, host, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s http://%s%s: reading body: %v", method, host, path, err)
	}
	return webResponse{resp.StatusCode, resp.Header, b}
}

// WebGet is WebDo for a GET.
func (n *Node) WebGet(t testing.TB, host, path string, header ...string) webResponse {
	t.Helper()
	return n.WebDo(t, http.MethodGet, host, path, nil, header...)
}

// copyTree copies the regular files under src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	writeTree(t, dst, readTree(t, src))
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// mustFile reads a file or fails the test.
func mustFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
