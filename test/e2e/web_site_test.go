package e2e

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// siteTypes are the Content-Types the published site's files must be
// served with (aws s3 sync guesses them at upload, garage-web stores them).
var siteTypes = map[string]string{
	".html": "text/html",
	".css":  "text/css",
	".js":   "text/javascript",
	".png":  "image/png",
}

// publishSite copies testdata/web/site to a temp dir, adds precompressed
// siblings (css/style.css.gz, js/app.js.zst), publishes it to bucket
// "blog" with `aws s3 sync ./site s3://blog --delete` and enables website
// access with the CLI. It returns the published files.
func publishSite(t *testing.T, n *Node) map[string][]byte {
	t.Helper()
	k := n.NewKey(t, "site-publisher")
	n.CreateBucket(t, "blog", k)
	aws := n.AWS(t, k)

	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	copyTree(t, filepath.Join("testdata", "web", "site"), site)
	files := readTree(t, site)
	extra := map[string][]byte{
		"css/style.css.gz": gzipBytes(t, files["css/style.css"]),
		"js/app.js.zst":    zstdBytes(t, files["js/app.js"]),
	}
	writeTree(t, site, extra)
	for name, b := range extra {
		files[name] = b
	}
	// A page from an older version of the site: --delete must remove it.
	aws.Dir = dir
	writeTree(t, filepath.Join(dir, "old"), map[string][]byte{"stale.html": []byte("<p>stale</p>")})
	aws.Must(t, "s3", "cp", "./old/stale.html", "s3://blog/stale.html")

	out := aws.Must(t, "s3", "sync", "./site", "s3://blog", "--delete")
	if !strings.Contains(out, "delete: s3://blog/stale.html") {
		t.Errorf("aws s3 sync --delete did not report deleting stale.html:\n%s", out)
	}
	n.CLI(t, "bucket", "website", "blog", "--allow", "--index-document", "index.html", "--error-document", "404.html")
	return files
}

// TestWebSite publishes a multi-page site with aws-cli, enables website
// access with the CLI and checks every page and the website rules over
// HTTP with the Host header, like curl would.
func TestWebSite(t *testing.T) {
	n := startNode(t)
	files := publishSite(t, n)
	host := n.WebHost("blog")

	t.Run("every file", func(t *testing.T) {
		for _, name := range sortedKeys(files) {
			r := n.WebGet(t, host, "/"+name)
			if r.Status != 200 || !bytes.Equal(r.Body, files[name]) {
				t.Errorf("GET /%s: %d, %d bytes (want 200, %d bytes)", name, r.Status, len(r.Body), len(files[name]))
				continue
			}
			if want, ok := siteTypes[filepath.Ext(name)]; ok && !strings.HasPrefix(r.Header.Get("Content-Type"), want) {
				t.Errorf("GET /%s: Content-Type %q, want %s", name, r.Header.Get("Content-Type"), want)
			}
			if r.Header.Get("ETag") == "" || r.Header.Get("Last-Modified") == "" {
				t.Errorf("GET /%s: no ETag or Last-Modified", name)
			}
		}
	})

	t.Run("index and folders", func(t *testing.T) {
		for path, want := range map[string]string{"/": "index.html", "/about/": "about/index.html", "/blog/": "blog/index.html"} {
			if r := n.WebGet(t, host, path); r.Status != 200 || !bytes.Equal(r.Body, files[want]) {
				t.Errorf("GET %s: %d, want 200 with %s", path, r.Status, want)
			}
		}
		for path, loc := range map[string]string{"/about": "/about/", "/blog": "/blog/", "/blog?page=2": "/blog/?page=2"} {
			if r := n.WebGet(t, host, path); r.Status != 302 || r.Header.Get("Location") != loc {
				t.Errorf("GET %s: %d Location %q, want 302 to %s", path, r.Status, r.Header.Get("Location"), loc)
			}
		}
		if r := n.WebGet(t, host, "/blog/2024/"); r.Status != 404 {
			t.Errorf("GET /blog/2024/ (no index): %d, want 404", r.Status)
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, path := range []string{"/nope.html", "/stale.html", "/blog/2023/", "/css/missing.css"} {
			r := n.WebGet(t, host, path)
			if r.Status != 404 || !bytes.Equal(r.Body, files["404.html"]) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("GET %s: %d %q (%s), want 404 with the error document", path, r.Status, clip(string(r.Body)), r.Header.Get("Content-Type"))
			}
		}
		// Other hosts: same 404 whether the bucket exists or not.
		k := n.NewKey(t, "other")
		n.CreateBucket(t, "private-data", k)
		a := n.WebGet(t, n.WebHost("private-data"), "/")
		b := n.WebGet(t, n.WebHost("no-such-bucket"), "/")
		c := n.WebGet(t, n.WebAddr, "/")
		if a.Status != 404 || b.Status != 404 || c.Status != 404 || !bytes.Equal(a.Body, b.Body) || !bytes.Equal(b.Body, c.Body) {
			t.Errorf("non-website hosts: %d %q / %d %q / %d %q, want the same 404", a.Status, a.Body, b.Status, b.Body, c.Status, c.Body)
		}
	})

	t.Run("conditional and ranges", func(t *testing.T) {
		r := n.WebGet(t, host, "/img/logo.png")
		etag, lm := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
		if r := n.WebGet(t, host, "/img/logo.png", "If-None-Match", etag); r.Status != 304 || len(r.Body) != 0 {
			t.Errorf("If-None-Match: %d, %d bytes; want 304, empty", r.Status, len(r.Body))
		}
		if r := n.WebGet(t, host, "/img/logo.png", "If-Modified-Since", lm); r.Status != 304 {
			t.Errorf("If-Modified-Since: %d, want 304", r.Status)
		}
		if r := n.WebGet(t, host, "/img/logo.png", "If-Modified-Since", time.Unix(0, 0).UTC().Format(time.RFC1123)); r.Status != 200 {
			t.Errorf("If-Modified-Since 1970: %d, want 200", r.Status)
		}
		png := files["img/logo.png"]
		r = n.WebGet(t, host, "/img/logo.png", "Range", "bytes=1-3")
		if r.Status != 206 || string(r.Body) != "PNG" || r.Header.Get("Content-Range") != fmt.Sprintf("bytes 1-3/%d", len(png)) {
			t.Errorf("Range 1-3: %d %q %q", r.Status, r.Body, r.Header.Get("Content-Range"))
		}
		if r := n.WebGet(t, host, "/img/logo.png", "Range", fmt.Sprintf("bytes=%d-", len(png))); r.Status != 416 {
			t.Errorf("Range past the end: %d, want 416", r.Status)
		}
		if r := n.WebDo(t, "HEAD", host, "/index.html", nil); r.Status != 200 || len(r.Body) != 0 || r.Header.Get("Content-Length") != fmt.Sprint(len(files["index.html"])) {
			t.Errorf("HEAD: %d, body %d bytes, Content-Length %q", r.Status, len(r.Body), r.Header.Get("Content-Length"))
		}
	})

	t.Run("precompressed", func(t *testing.T) {
		r := n.WebGet(t, host, "/css/style.css", "Accept-Encoding", "gzip, deflate")
		if r.Status != 200 || r.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(r.Body, files["css/style.css.gz"]) ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") || r.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("gzip: %d encoding %q type %q vary %q, %d bytes", r.Status, r.Header.Get("Content-Encoding"), r.Header.Get("Content-Type"), r.Header.Get("Vary"), len(r.Body))
		}
		r = n.WebGet(t, host, "/js/app.js", "Accept-Encoding", "gzip, deflate, br, zstd")
		if r.Status != 200 || r.Header.Get("Content-Encoding") != "zstd" || !bytes.Equal(r.Body, files["js/app.js.zst"]) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("zstd: %d encoding %q type %q", r.Status, r.Header.Get("Content-Encoding"), r.Header.Get("Content-Type"))
		}
		r = n.WebGet(t, host, "/css/style.css")
		if r.Status != 200 || r.Header.Get("Content-Encoding") != "" || !bytes.Equal(r.Body, files["css/style.css"]) || r.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("identity: %d encoding %q vary %q", r.Status, r.Header.Get("Content-Encoding"), r.Header.Get("Vary"))
		}
	})

	t.Run("methods and paths", func(t *testing.T) {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			if r := n.WebDo(t, m, host, "/index.html", []byte("x")); r.Status != 405 {
				t.Errorf("%s: %d, want 405", m, r.Status)
			}
		}
		for path, want := range map[string]int{"/%2e%2e/%2e%2e/etc/passwd": 400, "/a%00b": 400, "/" + strings.Repeat("x", 5000): 414, "/css%2Fstyle.css": 200} {
			if r := n.WebGet(t, host, path); r.Status != want {
				t.Errorf("GET %.40s: %d, want %d", path, r.Status, want)
			}
		}
		if r := n.WebGet(t, host, "/index.html"); r.Status != 200 {
			t.Errorf("server unwell after odd paths: %d", r.Status)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		if v, ok := n.Metric(t, "garageweb_web_requests_total"); !ok || v < 20 {
			t.Errorf("garageweb_web_requests_total = %v (present %v), want >= 20", v, ok)
		}
		if v, ok := n.Metric(t, "garageweb_web_response_bytes_total"); !ok || v <= 0 {
			t.Errorf("garageweb_web_response_bytes_total = %v (present %v)", v, ok)
		}
		if !strings.Contains(n.LogTail(), `"web request"`) && !strings.Contains(n.LogTail(), "msg=\"web request\"") {
			t.Errorf("no access log line in the node log")
		}
	})
}
