package web

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestKeyFromPath(t *testing.T) {
	cases := []struct {
		path string
		key  string
		err  error
	}{
		{"/", "", nil},
		{"/index.html", "index.html", nil},
		{"/dir/", "dir/", nil},
		{"/dir", "dir", nil},
		{"/a/b/c.css", "a/b/c.css", nil},
		{"/with%20space.txt", "with space.txt", nil},
		{"/a+b.txt", "a+b.txt", nil}, // '+' is not a space in a path
		{"/%C3%A9t%C3%A9/na%C3%AFve.txt", "été/naïve.txt", nil},
		{"/été/x", "été/x", nil},
		{"/a%2Fb", "a/b", nil},       // an escaped slash is a slash in the key
		{"/a%252Fb", "a%2Fb", nil},   // decoded exactly once
		{"/%2525", "%25", nil},       // decoded exactly once
		{"//double", "/double", nil}, // keys may start with a slash
		{"/a//b", "a//b", nil},
		{"/...", "...", nil}, // not a dot segment
		{"/a/..b/c..", "a/..b/c..", nil},
		{"/nar/0abc.nar.xz", "nar/0abc.nar.xz", nil},
		{"/" + strings.Repeat("k", MaxKeyLength), strings.Repeat("k", MaxKeyLength), nil},

		{"", "", ErrBadPath},
		{"*", "", ErrBadPath},
		{"index.html", "", ErrBadPath},
		{"/..", "", ErrBadPath},
		{"/../etc/passwd", "", ErrBadPath},
		{"/a/../../b", "", ErrBadPath},
		{"/a/./b", "", ErrBadPath},
		{"/.", "", ErrBadPath},
		{"/a/..", "", ErrBadPath},
		{"/%2e%2e/secret", "", ErrBadPath},
		{"/%2E%2E%2Fsecret", "", ErrBadPath},
		{"/a%2f%2e%2e%2fb", "", ErrBadPath},
		{"/.%2e/x", "", ErrBadPath},
		{"/nul%00byte", "", ErrBadPath},
		{"/nul\x00byte", "", ErrBadPath},
		{"/line%0Afeed", "", ErrBadPath},
		{"/del%7F", "", ErrBadPath},
		{"/bad%zzescape", "", ErrBadPath},
		{"/trailing%", "", ErrBadPath},
		{"/%ff%fe", "", ErrBadPath}, // invalid UTF-8
		{"/" + strings.Repeat("k", MaxKeyLength+1), "", ErrKeyTooLong},
		{"/" + strings.Repeat("%41", MaxKeyLength+1), "", ErrKeyTooLong},
		{"/" + strings.Repeat("x", 1<<20), "", ErrKeyTooLong},
	}
	for _, c := range cases {
		key, err := KeyFromPath(c.path)
		if key != c.key || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			p := c.path
			if len(p) > 40 {
				p = p[:40] + "…"
			}
			t.Errorf("KeyFromPath(%q) = %q, %v; want %q, %v", p, key, err, c.key, c.err)
		}
	}
}

// FuzzKeyFromPath checks that no path yields a key that could be read as
// leaving the bucket or that breaks the key rules, and that an accepted
// key escapes back to a path giving the same key (decoded exactly once).
func FuzzKeyFromPath(f *testing.F) {
	for _, s := range []string{"/", "/index.html", "/a/b/", "/%2e%2e/x", "/a%2Fb", "/%00", "/%252e%252e/", "/é", "/..%2f..%2f", "/%c0%ae%c0%ae/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		key, err := KeyFromPath(path)
		if err != nil {
			if key != "" {
				t.Fatalf("KeyFromPath(%q) returned key %q with error %v", path, key, err)
			}
			return
		}
		if len(key) > MaxKeyLength || !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
			t.Fatalf("KeyFromPath(%q) = %q: breaks the key rules", path, key)
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("KeyFromPath(%q) = %q: has a dot segment", path, key)
			}
		}
		again, err := KeyFromPath((&url.URL{Path: "/" + key}).EscapedPath())
		if err != nil || again != key {
			t.Fatalf("key %q does not round-trip through its escaped path: %q, %v", key, again, err)
		}
	})
}
