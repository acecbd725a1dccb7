package web

import "testing"

func TestSiteName(t *testing.T) {
	const root = ".web.localhost"
	cases := []struct {
		host, root string
		want       string
		ok         bool
	}{
		{"blog.web.localhost", root, "blog", true},
		{"blog.web.localhost:3902", root, "blog", true},
		{"BLOG.Web.LocalHost", root, "blog", true},
		{"blog.web.localhost.", root, "blog", true},
		{"blog.web.localhost.:8080", root, "blog", true},
		{"my.site.web.localhost", root, "my.site", true},
		{"nix-cache.web.localhost:3902", root, "nix-cache", true},
		{"blog.web.localhost", "web.localhost", "blog", true}, // root without its dot
		{"blog.web.localhost", "", "blog.web.localhost", true},
		// Custom domains: the whole host is the bucket name.
		{"www.example.org", root, "www.example.org", true},
		{"www.example.org:443", root, "www.example.org", true},
		{"web.localhost", root, "web.localhost", true},
		// Not bucket names.
		{"", root, "", false},
		{".web.localhost", root, "", false},
		{"x.web.localhost", root, "", false}, // too short
		{"127.0.0.1", root, "", false},
		{"127.0.0.1:3902", root, "", false},
		{"[::1]:3902", root, "", false},
		{"[::1]", root, "", false},
		{"bad_name.web.localhost", root, "", false},
		{"a..b.web.localhost", root, "", false},
		{"-blog.web.localhost", root, "", false},
		{"blog/x.web.localhost", root, "", false},
		{"blog\x00.web.localhost", root, "", false},
		{"ünicode.web.localhost", root, "", false},
	}
	for _, c := range cases {
		got, ok := SiteName(c.host, c.root)
		if got != c.want || ok != c.ok {
			t.Errorf("SiteName(%q, %q) = %q, %v; want %q, %v", c.host, c.root, got, ok, c.want, c.ok)
		}
	}
}
