package web

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// decode undoes a content coding.
func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		gr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = gr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("unknown coding %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", coding, err)
	}
	return out
}

func TestCompressChoosesEncoding(t *testing.T) {
	f := newFixture(t)
	etag := `"` + f.store.objects["id-blog"]["big.txt"].Meta.ETag
	cases := []struct {
		accept, want string
	}{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip, zstd", "zstd"},
		{"gzip", "gzip"},
		{"x-gzip", "gzip"},
		{"br;q=0.5, zstd;q=0.9, gzip;q=0.1", "zstd"},
		{"br;q=0, zstd;q=0, gzip", "gzip"},
		{"*", "br"},
		{"*;q=0.5, br;q=0", "zstd"},
		{"br;q=0, zstd;q=0, gzip;q=0", ""},
		{"identity", ""},
		{"deflate", ""},
		{"", ""},
	}
	for _, c := range cases {
		t.Run(c.accept, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				w := f.do(method, "blog"+root, "/big.txt", nil, "Accept-Encoding", c.accept)
				if w.Code != http.StatusOK {
					t.Fatalf("%s: status %d", method, w.Code)
				}
				h := w.Header()
				if got := h.Get("Content-Encoding"); got != c.want {
					t.Fatalf("%s: Content-Encoding %q, want %q", method, got, c.want)
				}
				if h.Get("Vary") != "Accept-Encoding" {
					t.Errorf("%s: Vary %q", method, h.Get("Vary"))
				}
				if h.Get("Content-Type") != "text/plain; charset=utf-8" {
					t.Errorf("%s: Content-Type %q", method, h.Get("Content-Type"))
				}
				wantETag := etag + `"`
				if c.want != "" {
					wantETag = etag + "-" + c.want + `"`
				}
				if got := h.Get("ETag"); got != wantETag {
					t.Errorf("%s: ETag %s, want %s", method, got, wantETag)
				}
				if method == http.MethodHead {
					if w.Body.Len() != 0 {
						t.Errorf("HEAD has a body")
					}
					continue
				}
				if got := h.Get("Content-Length"); got != strconv.Itoa(w.Body.Len()) {
					t.Errorf("Content-Length %s, body %d bytes", got, w.Body.Len())
				}
				body := w.Body.Bytes()
				if c.want != "" {
					if len(body) >= len(bigBody) {
						t.Errorf("compressed body is %d bytes, original %d", len(body), len(bigBody))
					}
					body = decode(t, c.want, body)
				}
				if !bytes.Equal(body, bigBody) {
					t.Errorf("body differs from the object")
				}
			}
		})
	}
}

func TestCompressHeadMatchesGet(t *testing.T) {
	f := newFixture(t)
	get := f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "br")
	head := f.do(http.MethodHead, "blog"+root, "/big.txt", nil, "Accept-Encoding", "br")
	for _, name := range []string{"Content-Length", "Content-Encoding", "ETag", "Vary", "Content-Type", "Last-Modified"} {
		if get.Header().Get(name) != head.Header().Get(name) {
			t.Errorf("%s: GET %q, HEAD %q", name, get.Header().Get(name), head.Header().Get(name))
		}
	}
}

func TestCompressConditional(t *testing.T) {
	f := newFixture(t)
	w := f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "gzip")
	variant := w.Header().Get("ETag")
	w = f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "gzip", "If-None-Match", variant)
	if w.Code != http.StatusNotModified || w.Header().Get("ETag") != variant || w.Body.Len() != 0 {
		t.Fatalf("If-None-Match variant: %d ETag %q body %d", w.Code, w.Header().Get("ETag"), w.Body.Len())
	}
	// The gzip variant's ETag does not validate the brotli one.
	w = f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "br", "If-None-Match", variant)
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "br" {
		t.Fatalf("other variant: %d %q", w.Code, w.Header().Get("Content-Encoding"))
	}
	w = f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "gzip", "If-Match", `"nope"`)
	if w.Code != http.StatusPreconditionFailed {
		t.Fatalf("If-Match: %d", w.Code)
	}
}

func TestCompressRangeIsIdentity(t *testing.T) {
	f := newFixture(t)
	w := f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "br, gzip", "Range", "bytes=10-19")
	if w.Code != http.StatusPartialContent {
		t.Fatalf("status %d", w.Code)
	}
	if ce := w.Header().Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding %q on a range", ce)
	}
	if w.Body.String() != string(bigBody[10:20]) || w.Header().Get("Content-Length") != "10" {
		t.Errorf("body %q, Content-Length %s", w.Body.String(), w.Header().Get("Content-Length"))
	}
	if w.Header().Get("Vary") != "Accept-Encoding" {
		t.Errorf("Vary %q", w.Header().Get("Vary"))
	}
}

func TestCompressNotApplied(t *testing.T) {
	f := newFixture(t)
	png := append([]byte("\x89PNG"), bytes.Repeat([]byte{0}, 4096)...)
	f.store.put("blog", "img/big.png", png, map[string]string{"Content-Type": "image/png"})
	f.store.put("blog", "tiny.txt", bytes.Repeat([]byte("a"), MinCompressSize-1), nil)
	f.store.put("blog", "stored.js", bytes.Repeat([]byte("x"), 4096), map[string]string{"Content-Type": "text/javascript", "Content-Encoding": "identity-ish"})
	f.store.put("blog", "huge.txt", bytes.Repeat([]byte("h"), MaxCompressSize+1), nil)
	f.store.put("blog", "random.txt", randomBytes(4096), nil)
	f.store.put("blog", "raw.txt", bytes.Repeat([]byte("r"), 4096), map[string]string{"Cache-Control": "no-transform"})
	for _, p := range []string{"/img/big.png", "/tiny.txt", "/stored.js", "/huge.txt", "/random.txt", "/raw.txt"} {
		w := f.do(http.MethodGet, "blog"+root, p, nil, "Accept-Encoding", "br, zstd, gzip")
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", p, w.Code)
		}
		if ce := w.Header().Get("Content-Encoding"); ce != "" && ce != "identity-ish" {
			t.Errorf("%s: compressed (%q)", p, ce)
		}
		if strconv.Itoa(w.Body.Len()) != w.Header().Get("Content-Length") {
			t.Errorf("%s: Content-Length %s, body %d", p, w.Header().Get("Content-Length"), w.Body.Len())
		}
	}
}

// randomBytes is incompressible text-typed content: a fixed pseudo-random
// sequence, so the test is deterministic.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func TestCompressPrecompressedSiblingWins(t *testing.T) {
	f := newFixture(t)
	w := f.do(http.MethodGet, "blog"+root, "/css/site.css", nil, "Accept-Encoding", "br, gzip")
	if w.Header().Get("Content-Encoding") != "br" || w.Body.String() != "BR-BYTES" {
		t.Fatalf("got %q %q, want the stored .br sibling", w.Header().Get("Content-Encoding"), w.Body.String())
	}
	// zstd has no sibling here but gzip has: the sibling beats compressing.
	w = f.do(http.MethodGet, "blog"+root, "/css/site.css", nil, "Accept-Encoding", "zstd, gzip")
	if w.Header().Get("Content-Encoding") != "gzip" || w.Body.String() != "GZIP-BYTES" {
		t.Fatalf("got %q %q, want the stored .gz sibling", w.Header().Get("Content-Encoding"), w.Body.String())
	}
	if _, misses, _, _ := f.srv.compressCache.stats(); misses != 0 {
		t.Errorf("%d compressions for a file with siblings", misses)
	}
}

func TestCompressCacheHits(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "br")
	}
	f.do(http.MethodHead, "blog"+root, "/big.txt", nil, "Accept-Encoding", "br")
	f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "gzip")
	hits, misses, _, entries := f.srv.compressCache.stats()
	if hits != 3 || misses != 2 || entries != 2 {
		t.Fatalf("hits %d misses %d entries %d, want 3, 2, 2", hits, misses, entries)
	}
	// A new version of the object has a new ETag: compressed afresh.
	newBody := bytes.Repeat([]byte("new content "), 500)
	f.store.put("blog", "big.txt", newBody, nil)
	w := f.do(http.MethodGet, "blog"+root, "/big.txt", nil, "Accept-Encoding", "br")
	if got := decode(t, "br", w.Body.Bytes()); !bytes.Equal(got, newBody) {
		t.Fatalf("stale compressed body served after an overwrite")
	}
	if _, misses, _, _ := f.srv.compressCache.stats(); misses != 3 {
		t.Fatalf("misses %d after an overwrite, want 3", misses)
	}
}

func TestCompressCacheBound(t *testing.T) {
	c := newCompressCache(1000)
	body := bytes.Repeat([]byte("b"), 300)
	for i := range 10 {
		c.add(compressKey{bucketID: "b", key: strconv.Itoa(i), etag: "e", coding: "br"}, body)
		if _, _, size, _ := c.stats(); size > 1000 {
			t.Fatalf("after %d adds: %d bytes held, limit 1000", i+1, size)
		}
	}
	_, _, _, entries := c.stats()
	if entries != 2 {
		t.Fatalf("%d entries, want 2", entries)
	}
	// The most recently used entries stay: 8 and 9; touching 8 then
	// adding 10 evicts 9.
	if _, ok := c.get(compressKey{"b", "8", "e", "br"}); !ok {
		t.Fatal("entry 8 evicted")
	}
	c.add(compressKey{"b", "10", "e", "br"}, body)
	if _, ok := c.get(compressKey{"b", "9", "e", "br"}); ok {
		t.Fatal("entry 9 kept, want it evicted as least recently used")
	}
	if _, ok := c.get(compressKey{"b", "8", "e", "br"}); !ok {
		t.Fatal("entry 8 evicted, want it kept as recently used")
	}
	// An entry bigger than the whole cache is not kept.
	c.add(compressKey{"b", "big", "e", "br"}, bytes.Repeat([]byte("x"), 2000))
	if _, ok := c.get(compressKey{"b", "big", "e", "br"}); ok {
		t.Fatal("oversized entry kept")
	}
}

func TestCompressCacheBoundInServer(t *testing.T) {
	f := newFixture(t)
	const limit = 8000
	f.srv.compressCache = newCompressCache(limit)
	for i := range 20 {
		key := "page" + strconv.Itoa(i) + ".html"
		f.store.put("blog", key, randomText(i, 20000), nil)
		w := f.do(http.MethodGet, "blog"+root, "/"+key, nil, "Accept-Encoding", "gzip")
		if w.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s not compressed", key)
		}
		if _, _, size, _ := f.srv.compressCache.stats(); size > limit {
			t.Fatalf("cache holds %d bytes, limit %d", size, limit)
		}
	}
	if _, _, _, entries := f.srv.compressCache.stats(); entries < 2 || entries >= 20 {
		t.Fatalf("%d entries: want some kept and some evicted", entries)
	}
}

// randomText is compressible text that differs per seed.
func randomText(seed, n int) []byte {
	words := []string{"alpha ", "beta ", "gamma ", "delta ", "epsilon "}
	var b bytes.Buffer
	x := uint32(seed*7919 + 1)
	for b.Len() < n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteString(words[x%uint32(len(words))])
	}
	return b.Bytes()
}

// Concurrent requests for every coding are safe (run with -race) and each
// gets a body that decodes to its page.
func TestCompressConcurrent(t *testing.T) {
	f := newFixture(t)
	pages := make([][]byte, 4)
	for i := range pages {
		pages[i] = randomText(i+100, 5000)
		f.store.put("blog", "c"+strconv.Itoa(i)+".txt", pages[i], nil)
	}
	codings := []string{"br", "zstd", "gzip"}
	errs := make(chan string, 64)
	done := make(chan struct{})
	for g := range 12 {
		go func() {
			defer func() { done <- struct{}{} }()
			i, coding := g%len(pages), codings[g%len(codings)]
			w := f.do(http.MethodGet, "blog"+root, "/c"+strconv.Itoa(i)+".txt", nil, "Accept-Encoding", coding)
			if w.Header().Get("Content-Encoding") != coding {
				errs <- "coding " + w.Header().Get("Content-Encoding") + ", want " + coding
				return
			}
			if !bytes.Equal(decodeNoT(coding, w.Body.Bytes()), pages[i]) {
				errs <- coding + ": body does not decode to the page"
			}
		}()
	}
	for range 12 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// decodeNoT is decode for goroutines: nil on any error.
func decodeNoT(coding string, body []byte) []byte {
	var r io.Reader
	switch coding {
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		gr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil
		}
		r = gr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil
		}
		defer zr.Close()
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil
	}
	return out
}
