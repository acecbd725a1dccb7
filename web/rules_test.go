package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/table/crdt"
)

const spaRedirects = `# every rule kind
/old        /new.html          301
/blog/*     /news/:splat       302
/p/:id      /posts/:id.html    200
/temp       /x                 307
/perm       https://example.org/ 308
/gone       /gone.html         404
/shadow     /forced.html       200!
/bad line   here               999
/*          /index.html        200
`

func rulesFixture(t *testing.T) *fixture {
	f := newFixture(t)
	st := f.store
	b := st.addBucket("spa", &model.WebsiteConfig{IndexDocument: "index.html"}, "")
	// A deploy's bucket: named "<id>--<site>" too.
	b.Aliases = crdt.LWWMap[string, bool]{}.Set("dabcdefgh1234--spa", 1, true)
	st.mu.Lock()
	st.buckets["spa"] = b
	st.buckets["dabcdefgh1234--spa"] = b
	st.mu.Unlock()
	st.put("spa", "index.html", []byte("<app>"), map[string]string{"Content-Type": "text/html"})
	st.put("spa", "posts/7.html", []byte("post 7"), nil)
	st.put("spa", "gone.html", []byte("gone"), nil)
	st.put("spa", "shadow", []byte("shadowed file"), nil)
	st.put("spa", "forced.html", []byte("forced"), nil)
	st.put("spa", "assets/app.3f9a1c2e.js", []byte("js"), nil)
	st.put("spa", "_redirects", []byte(spaRedirects), nil)
	st.put("spa", "_headers", []byte("/*\n  X-Frame-Options: DENY\n/assets/*\n  X-Asset: yes\n"), nil)
	return f
}

func TestRedirectsRules(t *testing.T) {
	f := rulesFixture(t)
	for _, c := range []struct {
		path, status, location, body string
	}{
		{"/old", "301", "/new.html", ""},
		{"/old?a=1", "301", "/new.html?a=1", ""},
		{"/blog/2024/x", "302", "/news/2024/x", ""},
		{"/p/7", "200", "", "post 7"},
		{"/temp", "307", "/x", ""},
		{"/perm", "308", "https://example.org/", ""},
		{"/gone", "404", "", "gone"},
		{"/shadow", "200", "", "forced"},
		{"/app/settings", "200", "", "<app>"},
		{"/", "200", "", "<app>"},
		{"/_redirects", "200", "", "<app>"}, // never served: the fallback answers
		{"/_headers", "200", "", "<app>"},
	} {
		w := f.do("GET", "spa.web.localhost", c.path, nil)
		if got := w.Code; itoa(got) != c.status || w.Header().Get("Location") != c.location || c.body != "" && w.Body.String() != c.body {
			t.Errorf("GET %s: %d %q %q, want %s %q %q", c.path, got, w.Header().Get("Location"), w.Body.String(), c.status, c.location, c.body)
		}
	}
	if !strings.Contains(f.logs.String(), `"line":9`) {
		t.Errorf("malformed line not logged with its number: %s", f.logs.String())
	}
}

func TestHeadersRulesAndDefaults(t *testing.T) {
	f := rulesFixture(t)
	w := f.do("GET", "spa.web.localhost", "/assets/app.3f9a1c2e.js", nil)
	if w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Asset") != "yes" {
		t.Errorf("_headers not applied: %v", w.Header())
	}
	if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("fingerprinted asset Cache-Control %q", got)
	}
	w = f.do("GET", "spa.web.localhost", "/app/x", nil)
	if got := w.Header().Get("Cache-Control"); got != "public, max-age=0, must-revalidate" {
		t.Errorf("HTML Cache-Control %q", got)
	}
	// Not a deploy: no defaults.
	w = f.do("GET", "blog.web.localhost", "/", nil)
	if got := w.Header().Get("Cache-Control"); got != "" {
		t.Errorf("plain bucket got Cache-Control %q", got)
	}
}

func TestPreviewIsReadOnly(t *testing.T) {
	f := newFixture(t)
	b := f.store.addBucket("dabcdefgh1234--cache", &model.WebsiteConfig{IndexDocument: "index.html", XML: uploadXML, Uploads: true}, "")
	_ = b
	w := f.do("PUT", "dabcdefgh1234--cache.web.localhost", "/x", strings.NewReader("x"))
	if w.Code != 405 {
		t.Fatalf("PUT on a preview: %d, want 405", w.Code)
	}
}

func TestFingerprinted(t *testing.T) {
	for name, want := range map[string]bool{
		"app.3f9a1c2e.js": true, "index-BhD5v2x1.js": true, "main.css": false, "jquery.min.js": false, "a-abcdefgh.js": false,
	} {
		if fingerprintedName(name) != want {
			t.Errorf("%s: %v", name, !want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestEarlierDeployAssets(t *testing.T) {
	f := rulesFixture(t)
	old := f.store.addBucket("dolddeploy0001--spa", &model.WebsiteConfig{IndexDocument: "index.html"}, "")
	f.store.put("dolddeploy0001--spa", "assets/app.0ld0ld00.css", []byte("old css"), nil)
	f.store.put("dolddeploy0001--spa", "notfingerprinted.css", []byte("old"), nil)
	s := model.Site{Name: "spa"}
	s.Deploys = s.Deploys.Set("dolddeploy0001", 1, &model.Deploy{ID: "dolddeploy0001", Bucket: old.ID, Ready: true, Created: 1})
	s.Deploys = s.Deploys.Set("dabcdefgh1234", 1, &model.Deploy{ID: "dabcdefgh1234", Bucket: "id-spa", Ready: true, Created: 2})
	f.store.addSite(s)
	if w := f.do("GET", "spa.web.localhost", "/assets/app.0ld0ld00.css", nil); w.Code != 200 || w.Body.String() != "old css" {
		t.Errorf("earlier deploy's asset: %d %q", w.Code, w.Body.String())
	}
	// Other names fall through to the rules (here the SPA fallback).
	if w := f.do("GET", "spa.web.localhost", "/notfingerprinted.css", nil); w.Body.String() == "old" {
		t.Errorf("a name without a hash was served from an earlier deploy")
	}
}

func TestHasSiteForAliasesAndPreviews(t *testing.T) {
	f := rulesFixture(t)
	for _, host := range []string{"spa.web.localhost", "dabcdefgh1234--spa.web.localhost", "www.example.org"} {
		if ok, err := f.srv.HasSite(t.Context(), host); !ok || err != nil {
			t.Errorf("HasSite(%s) = %v, %v: no automatic HTTPS for it", host, ok, err)
		}
	}
}
