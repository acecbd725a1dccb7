package rules

import (
	"net/http"
	"strings"
	"testing"
)

const sample = `# comments and blank lines are skipped

/old            /new                 301
/blog/*         /news/:splat         301
/:year/:slug    /posts/:year-:slug   302
/temp           /elsewhere           307
/perm           https://example.org/ 308
/gone           /404.html            404
/force          /forced.html         200!
/app/*          /index.html          200
/bad            /x                   999
/c              /d                   301  Country=us
nope
/x              ftp://y
`

func TestParseRedirects(t *testing.T) {
	rs, errs := ParseRedirects([]byte(sample))
	if len(rs.Rules) != 8 {
		t.Fatalf("%d rules: %+v", len(rs.Rules), rs.Rules)
	}
	lines := []int{}
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	if want := []int{11, 12, 13, 14}; !equalInts(lines, want) {
		t.Fatalf("error lines %v, want %v (%v)", lines, want, errs)
	}
	if !strings.Contains(errs[0].Error(), "_redirects line 11") {
		t.Fatalf("error text %q", errs[0].Error())
	}
}

func TestMatchRedirects(t *testing.T) {
	rs, _ := ParseRedirects([]byte(sample))
	for _, c := range []struct {
		path   string
		forced bool
		to     string
		status int
	}{
		{"/old", false, "/new", 301},
		{"/old/", false, "/new", 301},
		{"/OLD", false, "/new", 301},
		{"/blog/2024/a.html", false, "/news/2024/a.html", 301},
		{"/blog", false, "/news/", 301},
		{"/2024/hello", false, "/posts/2024-hello", 302},
		{"/temp", false, "/elsewhere", 307},
		{"/perm", false, "https://example.org/", 308},
		{"/gone", false, "/404.html", 404},
		{"/force", true, "/forced.html", 200},
		{"/app/settings/x", false, "/index.html", 200}, // /:year/:slug comes first for /app/settings
		{"/force", false, "", 0},
		{"/a/b/c", false, "", 0},
	} {
		m, ok := rs.Match(c.path, c.forced)
		if c.status == 0 {
			if ok {
				t.Errorf("%s: matched %+v", c.path, m)
			}
			continue
		}
		if !ok || m.To != c.to || m.Rule.Status != c.status {
			t.Errorf("%s: got %+v %v, want %s %d", c.path, m, ok, c.to, c.status)
		}
	}
}

func TestSPAFallback(t *testing.T) {
	rs, errs := ParseRedirects([]byte("/*  /index.html  200\n"))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	for _, p := range []string{"/", "/app/settings", "/a"} {
		if m, ok := rs.Match(p, false); !ok || m.To != "/index.html" || !m.Rule.IsRewrite() {
			t.Errorf("%s: %+v %v", p, m, ok)
		}
	}
}

func TestHeaders(t *testing.T) {
	hs, errs := ParseHeaders([]byte(`/*
  X-Frame-Options: DENY
  Content-Security-Policy: default-src 'self'
/assets/*
  Cache-Control: public, max-age=31536000, immutable
  bad header line
  : empty
/:lang/about
  X-Lang: yes
`))
	if len(errs) != 2 || errs[0].Line != 6 || errs[1].Line != 7 {
		t.Fatalf("errors %v", errs)
	}
	h := http.Header{}
	hs.Apply("/assets/app.js", h)
	if h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("Content-Security-Policy") == "" {
		t.Fatalf("headers %v", h)
	}
	h = http.Header{"Cache-Control": {"no-store"}}
	hs.Apply("/en/about", h)
	if h.Get("X-Lang") != "yes" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", h)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
