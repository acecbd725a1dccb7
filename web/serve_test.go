package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/table"
)

const (
	root      = ".web.localhost"
	routesXML = `<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IndexDocument><Suffix>home.htm</Suffix></IndexDocument>
  <ErrorDocument><Key>errors/missing.html</Key></ErrorDocument>
  <RoutingRules>
    <RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>
      <Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect></RoutingRule>
    <RoutingRule><Condition><KeyPrefixEquals>old.html</KeyPrefixEquals></Condition>
      <Redirect><ReplaceKeyWith>new.html</ReplaceKeyWith><HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule>
    <RoutingRule><Condition><KeyPrefixEquals>gone/</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>
      <Redirect><HostName>archive.example.org</HostName><Protocol>https</Protocol><ReplaceKeyPrefixWith>old/</ReplaceKeyPrefixWith></Redirect></RoutingRule>
  </RoutingRules>
</WebsiteConfiguration>`
	uploadXML = `<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><GarageWebUploads>Enabled</GarageWebUploads></WebsiteConfiguration>`
	corsXML   = `<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`
)

var (
	cssBody = []byte("body { color: rebeccapurple; }\n")
	bigBody = bytes.Repeat([]byte("0123456789"), 1000)
)

// fixture is a web server over a memStore holding a few sites.
type fixture struct {
	srv   *Server
	store *memStore
	reg   *prometheus.Registry
	logs  *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := newMemStore()
	st.addBucket("blog", &model.WebsiteConfig{IndexDocument: "index.html", ErrorDocument: "404.html"}, corsXML)
	st.put("blog", "index.html", []byte("<h1>home</h1>"), map[string]string{"Content-Type": "text/html"})
	st.put("blog", "404.html", []byte("<h1>not here</h1>"), map[string]string{"Content-Type": "text/html", "Cache-Control": "max-age=60"})
	st.put("blog", "about/index.html", []byte("<h1>about</h1>"), nil)
	st.put("blog", "css/site.css", cssBody, map[string]string{"Content-Type": "text/css", "Cache-Control": "max-age=3600"})
	st.put("blog", "css/site.css.gz", []byte("GZIP-BYTES"), map[string]string{"Content-Type": "application/gzip"})
	st.put("blog", "css/site.css.br", []byte("BR-BYTES"), nil)
	st.put("blog", "img/logo.png", []byte("\x89PNG fake"), map[string]string{"Content-Type": "image/png"})
	st.put("blog", "img/logo.png.gz", []byte("should never be served"), nil)
	st.put("blog", "pre.js", []byte("already();"), map[string]string{"Content-Type": "text/javascript", "Content-Encoding": "gzip"})
	st.put("blog", "big.txt", bigBody, nil)
	st.put("blog", "moved.html", nil, map[string]string{redirectHeader: "/about/"})
	st.put("blog", "a/b", []byte("slash key"), nil)
	st.put("blog", "/lead/index.html", []byte("leading slash"), nil)
	st.put("blog", "meta.txt", []byte("m"), map[string]string{"X-Amz-Meta-Color": "blue"})

	st.addBucket("routes", &model.WebsiteConfig{XML: routesXML}, "")
	st.put("routes", "home.htm", []byte("routes home"), nil)
	st.put("routes", "documents/a.html", []byte("doc a"), nil)
	st.put("routes", "errors/missing.html", []byte("custom missing page"), nil)

	st.addBucket("moved", &model.WebsiteConfig{XML: `<WebsiteConfiguration><RedirectAllRequestsTo><HostName>new.example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>`}, "")
	st.addBucket("private", nil, "")
	st.put("private", "index.html", []byte("secret"), nil)
	st.addBucket("www.example.org", &model.WebsiteConfig{IndexDocument: "index.html"}, "")
	st.put("www.example.org", "index.html", []byte("custom domain"), nil)
	st.addBucket("nocfg", &model.WebsiteConfig{IndexDocument: "index.html"}, "")

	st.addBucket("cache", &model.WebsiteConfig{IndexDocument: "index.html", XML: uploadXML, Uploads: true}, "")
	st.addKey("GKwriter", "writer-secret", "cache", model.Permissions{Read: true, Write: true})
	st.addKey("GKreader", "reader-secret", "cache", model.Permissions{Read: true})
	st.addKey("GKblog", "blog-secret", "blog", model.Permissions{Read: true, Write: true})

	reg := prometheus.NewRegistry()
	logs := &bytes.Buffer{}
	srv, err := New(Config{RootDomain: root, AccessLog: true}, st, reg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, store: st, reg: reg, logs: logs}
}

// do sends one request; header pairs are name, value.
func (f *fixture) do(method, host, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://"+host+target, body)
	r.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

func TestServeSite(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name         string
		method, host string
		path         string
		header       []string
		status       int
		body         string            // exact; "" = not checked unless status says empty
		headers      map[string]string // exact values; "" = must be absent
	}{
		{"index at root", "GET", "blog.web.localhost:3902", "/", nil, 200, "<h1>home</h1>", map[string]string{"Content-Type": "text/html", "Accept-Ranges": "bytes"}},
		{"index by name", "GET", "blog.web.localhost", "/index.html", nil, 200, "<h1>home</h1>", nil},
		{"folder index", "GET", "blog.web.localhost", "/about/", nil, 200, "<h1>about</h1>", map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{"folder redirect", "GET", "blog.web.localhost", "/about", nil, 302, "", map[string]string{"Location": "/about/"}},
		{"folder redirect keeps query", "GET", "blog.web.localhost", "/about?lang=fr", nil, 302, "", map[string]string{"Location": "/about/?lang=fr"}},
		{"folder redirect of a leading-slash key stays on site", "GET", "blog.web.localhost", "//lead", nil, 302, "", map[string]string{"Location": "/%2Flead/"}},
		{"error document", "GET", "blog.web.localhost", "/nope.html", nil, 404, "<h1>not here</h1>", map[string]string{"Content-Type": "text/html", "Cache-Control": "max-age=60", "ETag": ""}},
		{"error document for HEAD", "HEAD", "blog.web.localhost", "/nope.html", nil, 404, "", map[string]string{"Content-Length": "17"}},
		{"error document ignores Range", "GET", "blog.web.localhost", "/nope", []string{"Range", "bytes=0-1"}, 404, "<h1>not here</h1>", nil},
		{"folder without index", "GET", "blog.web.localhost", "/img/", nil, 404, "<h1>not here</h1>", nil},
		{"stored headers", "GET", "blog.web.localhost", "/css/site.css", nil, 200, string(cssBody), map[string]string{"Content-Type": "text/css", "Cache-Control": "max-age=3600", "Vary": "Accept-Encoding", "Content-Encoding": ""}},
		{"user metadata", "HEAD", "blog.web.localhost", "/meta.txt", nil, 200, "", map[string]string{"X-Amz-Meta-Color": "blue", "Content-Type": "text/plain; charset=utf-8"}},
		{"default type", "GET", "blog.web.localhost", "/big.txt", []string{"Range", "bytes=10-14"}, 206, "01234", map[string]string{"Content-Range": "bytes 10-14/10000", "Content-Length": "5", "Content-Type": "text/plain; charset=utf-8"}},
		{"suffix range", "GET", "blog.web.localhost", "/big.txt", []string{"Range", "bytes=-3"}, 206, "789", nil},
		{"multiple ranges served whole", "GET", "blog.web.localhost", "/big.txt", []string{"Range", "bytes=0-1,5-6"}, 200, string(bigBody), nil},
		{"unsatisfiable range", "GET", "blog.web.localhost", "/big.txt", []string{"Range", "bytes=20000-"}, 416, "", map[string]string{"Content-Range": "bytes */10000"}},
		{"HEAD has no body", "HEAD", "blog.web.localhost", "/big.txt", nil, 200, "", map[string]string{"Content-Length": "10000"}},
		{"gzip sibling", "GET", "blog.web.localhost", "/css/site.css", []string{"Accept-Encoding", "gzip, deflate"}, 200, "GZIP-BYTES", map[string]string{"Content-Encoding": "gzip", "Content-Type": "text/css", "Vary": "Accept-Encoding", "Content-Length": "10"}},
		{"brotli preferred", "GET", "blog.web.localhost", "/css/site.css", []string{"Accept-Encoding", "gzip, deflate, br, zstd"}, 200, "BR-BYTES", map[string]string{"Content-Encoding": "br", "Content-Type": "text/css"}},
		{"q-values respected", "GET", "blog.web.localhost", "/css/site.css", []string{"Accept-Encoding", "br;q=0.1, gzip"}, 200, "GZIP-BYTES", map[string]string{"Content-Encoding": "gzip"}},
		{"zstd only: no sibling, identity", "GET", "blog.web.localhost", "/css/site.css", []string{"Accept-Encoding", "zstd"}, 200, string(cssBody), map[string]string{"Content-Encoding": "", "Vary": "Accept-Encoding"}},
		{"images have no siblings", "GET", "blog.web.localhost", "/img/logo.png", []string{"Accept-Encoding", "gzip"}, 200, "\x89PNG fake", map[string]string{"Content-Encoding": "", "Vary": ""}},
		{"stored encoding kept", "GET", "blog.web.localhost", "/pre.js", []string{"Accept-Encoding", "br"}, 200, "already();", map[string]string{"Content-Encoding": "gzip"}},
		{"encoded slash is a slash", "GET", "blog.web.localhost", "/a%2Fb", nil, 200, "slash key", nil},
		{"object redirect", "GET", "blog.web.localhost", "/moved.html", nil, 301, "", map[string]string{"Location": "/about/"}},
		{"dot-dot refused", "GET", "blog.web.localhost", "/%2e%2e/private/index.html", nil, 400, "", nil},
		{"NUL refused", "GET", "blog.web.localhost", "/a%00b", nil, 400, "", nil},
		{"overlong path", "GET", "blog.web.localhost", "/" + strings.Repeat("a", 2000), nil, 414, "", nil},
		{"custom domain", "GET", "www.example.org", "/", nil, 200, "custom domain", nil},
		{"unknown bucket", "GET", "nosuch.web.localhost", "/", nil, 404, "404 Not Found\n", nil},
		{"website disabled looks missing", "GET", "private.web.localhost", "/index.html", nil, 404, "404 Not Found\n", nil},
		{"IP host", "GET", "127.0.0.1:3902", "/", nil, 404, "404 Not Found\n", nil},
		{"missing page without error document", "GET", "nocfg.web.localhost", "/x", nil, 404, "404 Not Found\n", map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{"POST not allowed", "POST", "blog.web.localhost", "/", nil, 405, "", map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
		{"DELETE not allowed", "DELETE", "blog.web.localhost", "/index.html", nil, 405, "", nil},
		{"PUT not allowed without uploads", "PUT", "blog.web.localhost", "/x", []string{"Authorization", "Basic R0tibG9nOmJsb2ctc2VjcmV0"}, 405, "", nil},
		{"methods on unknown hosts are 404", "DELETE", "nosuch.web.localhost", "/", nil, 404, "404 Not Found\n", nil},
		{"routing: prefix rule", "GET", "routes.web.localhost", "/docs/a.html", nil, 301, "", map[string]string{"Location": "/documents/a.html"}},
		{"routing: key rule with code", "GET", "routes.web.localhost", "/old.html", nil, 302, "", map[string]string{"Location": "/new.html"}},
		{"routing: 404 rule", "GET", "routes.web.localhost", "/gone/x.html", nil, 301, "", map[string]string{"Location": "https://archive.example.org/old/x.html"}},
		{"routing: 404 rule only on 404", "GET", "routes.web.localhost", "/", nil, 200, "routes home", nil},
		{"routing: index suffix from XML", "GET", "routes.web.localhost", "/", nil, 200, "routes home", nil},
		{"routing: error document from XML", "GET", "routes.web.localhost", "/missing", nil, 404, "custom missing page", nil},
		{"redirect all", "GET", "moved.web.localhost", "/a/b.html?x=1", nil, 301, "", map[string]string{"Location": "https://new.example.com/a/b.html"}},
		{"CORS on GET", "GET", "blog.web.localhost", "/index.html", []string{"Origin", "https://app.example"}, 200, "", map[string]string{"Access-Control-Allow-Origin": "https://app.example"}},
		{"CORS other origin", "GET", "blog.web.localhost", "/index.html", []string{"Origin", "https://evil.example"}, 200, "", map[string]string{"Access-Control-Allow-Origin": ""}},
		{"CORS preflight", "OPTIONS", "blog.web.localhost", "/index.html", []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"}, 200, "", map[string]string{"Access-Control-Allow-Origin": "https://app.example", "Access-Control-Max-Age": "600"}},
		{"CORS preflight refused", "OPTIONS", "blog.web.localhost", "/index.html", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "GET"}, 403, "", map[string]string{"Access-Control-Allow-Origin": ""}},
		{"OPTIONS without preflight headers", "OPTIONS", "blog.web.localhost", "/", nil, 400, "", nil},
		{"nix cache info type", "GET", "cache.web.localhost", "/nix-cache-info", nil, 404, "404 Not Found\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := f.do(c.method, c.host, c.path, nil, c.header...)
			if w.Code != c.status {
				t.Fatalf("%s %s%s: status %d, want %d; body %q", c.method, c.host, c.path, w.Code, c.status, clipString(w.Body.String(), 200))
			}
			if c.body != "" && w.Body.String() != c.body {
				t.Errorf("body %q, want %q", clipString(w.Body.String(), 200), c.body)
			}
			if c.method == "HEAD" && w.Body.Len() != 0 {
				t.Errorf("HEAD answered a body of %d bytes", w.Body.Len())
			}
			for name, want := range c.headers {
				if got := w.Header().Get(name); got != want {
					t.Errorf("header %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestConditional(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "blog.web.localhost", "/css/site.css", nil)
	etag, lm := w.Header().Get("ETag"), w.Header().Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("no validators: ETag %q Last-Modified %q", etag, lm)
	}
	for _, h := range [][]string{{"If-None-Match", etag}, {"If-None-Match", `"x", ` + etag}, {"If-Modified-Since", lm}} {
		w := f.do("GET", "blog.web.localhost", "/css/site.css", nil, h...)
		if w.Code != 304 || w.Body.Len() != 0 || w.Header().Get("ETag") != etag || w.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: %d %q ETag %q Vary %q; want 304, empty, same ETag, Vary", h[0], w.Code, w.Body.String(), w.Header().Get("ETag"), w.Header().Get("Vary"))
		}
	}
	if w := f.do("GET", "blog.web.localhost", "/css/site.css", nil, "If-None-Match", `"other"`); w.Code != 200 {
		t.Errorf("other ETag: %d, want 200", w.Code)
	}
	if w := f.do("GET", "blog.web.localhost", "/css/site.css", nil, "If-Match", `"other"`); w.Code != 412 {
		t.Errorf("If-Match other: %d, want 412", w.Code)
	}
	// The compressed sibling is another representation with its own ETag.
	gz := f.do("GET", "blog.web.localhost", "/css/site.css", nil, "Accept-Encoding", "gzip")
	if gz.Header().Get("ETag") == etag {
		t.Errorf("gzip sibling served with the identity ETag")
	}
	if w := f.do("GET", "blog.web.localhost", "/css/site.css", nil, "Accept-Encoding", "gzip", "If-None-Match", gz.Header().Get("ETag")); w.Code != 304 {
		t.Errorf("If-None-Match of the gzip ETag: %d, want 304", w.Code)
	}
}

func TestLookupCost(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		path, accept string
		heads        int
	}{
		{"/img/logo.png", "gzip, br, zstd", 1}, // not compressible: no sibling lookups
		{"/css/site.css", "", 1},               // nothing accepted
		{"/css/site.css", "br", 2},             // found first try
		{"/big.txt", "gzip, br, zstd", 4},      // three misses
		{"/x.narinfo", "gzip", 3},              // missing: key, key/index.html, error document
		{"/about/", "", 1},                     // folder index
	}
	// The first request of a site reads its rules files (_redirects,
	// _headers); later ones use the parsed rules for a while.
	f.do("GET", "blog.web.localhost", "/", nil)
	for _, c := range cases {
		before := f.store.headCount()
		f.do("GET", "blog.web.localhost", c.path, nil, "Accept-Encoding", c.accept)
		if got := f.store.headCount() - before; got != c.heads {
			t.Errorf("GET %s (Accept-Encoding %q): %d lookups, want %d", c.path, c.accept, got, c.heads)
		}
	}
}

func TestPut(t *testing.T) {
	f := newFixture(t)
	const host = "cache.web.localhost:3902"
	auth := func(id, secret string) []string {
		r := httptest.NewRequest("PUT", "/", nil)
		r.SetBasicAuth(id, secret)
		return []string{"Authorization", r.Header.Get("Authorization")}
	}
	info := "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n"
	cases := []struct {
		name   string
		path   string
		header []string
		body   string
		status int
	}{
		{"no credentials", "/nix-cache-info", nil, info, 401},
		{"unknown key", "/nix-cache-info", auth("GKnobody", "x"), info, 401},
		{"wrong secret", "/nix-cache-info", auth("GKwriter", "wrong"), info, 401},
		{"read-only key", "/nix-cache-info", auth("GKreader", "reader-secret"), info, 403},
		{"key of another bucket", "/nix-cache-info", auth("GKblog", "blog-secret"), info, 403},
		{"folder path", "/nar/", auth("GKwriter", "writer-secret"), "x", 400},
		{"root path", "/", auth("GKwriter", "writer-secret"), "x", 400},
		{"dot-dot", "/%2e%2e/x", auth("GKwriter", "writer-secret"), "x", 400},
		{"bad Content-MD5", "/x", append(auth("GKwriter", "writer-secret"), "Content-MD5", "not base64!"), "x", 400},
		{"wrong Content-MD5", "/x", append(auth("GKwriter", "writer-secret"), "Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), "x", 400},
		{"upload", "/nix-cache-info", append(auth("GKwriter", "writer-secret"), "Content-Type", NixCacheInfoType), info, 200},
		{"upload without type", "/abc.narinfo", auth("GKwriter", "writer-secret"), "StorePath: /nix/store/abc\n", 200},
		{"If-None-Match on existing", "/nix-cache-info", append(auth("GKwriter", "writer-secret"), "If-None-Match", "*"), info, 412},
	}
	for _, c := range cases {
		w := f.do("PUT", host, c.path, strings.NewReader(c.body), c.header...)
		if w.Code != c.status {
			t.Errorf("%s: PUT %s: %d %q, want %d", c.name, c.path, w.Code, w.Body.String(), c.status)
		}
		if c.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s: 401 without a Basic challenge", c.name)
		}
	}
	w := f.do("GET", host, "/nix-cache-info", nil)
	if w.Code != 200 || w.Body.String() != info || w.Header().Get("Content-Type") != NixCacheInfoType {
		t.Errorf("GET after PUT: %d %q %q", w.Code, w.Body.String(), w.Header().Get("Content-Type"))
	}
	w = f.do("GET", host, "/abc.narinfo", nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != NarInfoType {
		t.Errorf("GET narinfo: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := f.do("GET", host, "/missing.narinfo", nil); w.Code != 404 {
		t.Errorf("missing narinfo: %d, want 404", w.Code)
	}
	if w := f.do("DELETE", host, "/nix-cache-info", nil, auth("GKwriter", "writer-secret")...); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD, OPTIONS, PUT" {
		t.Errorf("DELETE on an upload site: %d Allow %q, want 405 with PUT allowed", w.Code, w.Header().Get("Allow"))
	}
}

func TestMetricsAndLog(t *testing.T) {
	f := newFixture(t)
	f.do("GET", "blog.web.localhost", "/", nil)
	f.do("GET", "blog.web.localhost", "/big.txt", nil)
	f.do("GET", "blog.web.localhost", "/missing", nil)
	f.do("GET", "nosuch.web.localhost", "/", nil)
	f.do("GET", "private.web.localhost", "/", nil)
	if got := gathered(t, f.reg, "garageweb_web_requests_total", "site=blog,status=200"); got != 2 {
		t.Errorf("blog 200 requests = %v, want 2", got)
	}
	if got := gathered(t, f.reg, "garageweb_web_requests_total", "site=blog,status=404"); got != 1 {
		t.Errorf("blog 404 requests = %v, want 1", got)
	}
	if got := gathered(t, f.reg, "garageweb_web_requests_total", "site=-,status=404"); got != 2 {
		t.Errorf("no-site 404 requests = %v, want 2 (unknown and disabled sites share one label)", got)
	}
	want := float64(len("<h1>home</h1>") + len(bigBody) + len("<h1>not here</h1>"))
	if got := gathered(t, f.reg, "garageweb_web_response_bytes_total", "site=blog"); got != want {
		t.Errorf("blog bytes out = %v, want %v", got, want)
	}
	if got := gathered(t, f.reg, "garageweb_web_request_duration_seconds", "site=blog"); got != 3 {
		t.Errorf("blog latency observations = %v, want 3", got)
	}
	if n := len(series(t, f.reg, "garageweb_web_requests_total")); n != 3 {
		t.Errorf("request series = %d, want 3: %v", n, series(t, f.reg, "garageweb_web_requests_total"))
	}
	logs := f.logs.String()
	for _, want := range []string{`"msg":"web request"`, `"site":"blog"`, `"path":"/big.txt"`, `"status":404`, `"bytes":10000`, `"site":"-"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %s:\n%s", want, logs)
		}
	}
}

func TestAccessLogOff(t *testing.T) {
	f := newFixture(t)
	logs := &bytes.Buffer{}
	srv, err := New(Config{RootDomain: root}, f.store, prometheus.NewRegistry(), slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	if w := f.do("GET", "blog.web.localhost", "/", nil); w.Code != 200 {
		t.Fatalf("GET / = %d, want 200", w.Code)
	}
	if strings.Contains(logs.String(), "web request") {
		t.Errorf("access log written with AccessLog off:\n%s", logs.String())
	}
}

func TestReadErrors(t *testing.T) {
	f := newFixture(t)
	f.store.openErr = model.ErrCorrupt
	w := f.do("GET", "blog.web.localhost", "/big.txt", nil)
	if w.Code != 500 || !strings.Contains(w.Body.String(), "integrity") {
		t.Errorf("corrupt object: %d %q, want 500 saying it failed its integrity check", w.Code, w.Body.String())
	}
	f.store.openErr = fmt.Errorf("read block: %w", table.ErrQuorum)
	if w := f.do("GET", "blog.web.localhost", "/big.txt", nil); w.Code != 503 {
		t.Errorf("no read quorum: %d %q, want 503", w.Code, w.Body.String())
	}
	f.store.openErr = errors.New("disk on fire")
	if w := f.do("GET", "blog.web.localhost", "/big.txt", nil); w.Code != 500 || strings.Contains(w.Body.String(), "fire") {
		t.Errorf("internal error: %d %q, want 500 without details", w.Code, w.Body.String())
	}
}

// series returns the label sets ("k=v,k=v") of a metric with their value
// (counter value or histogram sample count).
func series(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue()
			if h := m.GetHistogram(); h != nil {
				v = float64(h.GetSampleCount())
			}
			out[strings.Join(labels, ",")] = v
		}
	}
	return out
}

func gathered(t *testing.T, reg *prometheus.Registry, name, labels string) float64 {
	t.Helper()
	return series(t, reg, name)[labels]
}

func TestHasSite(t *testing.T) {
	f := newFixture(t)
	for host, want := range map[string]bool{
		"blog.web.localhost": true, "BLOG.web.localhost:443": true, "www.example.org": true, "moved.web.localhost": true,
		"private.web.localhost": false, "nosuch.web.localhost": false, "127.0.0.1": false, "": false,
	} {
		got, err := f.srv.HasSite(context.Background(), host)
		if err != nil || got != want {
			t.Errorf("HasSite(%q) = %v, %v; want %v", host, got, err, want)
		}
	}
}
