package sigv4

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestURIEncode(t *testing.T) {
	for _, tc := range []struct{ in, path, query string }{
		{"abcXYZ019-._~", "abcXYZ019-._~", "abcXYZ019-._~"},
		{"a/b", "a/b", "a%2Fb"},
		{"a b+c=d&e", "a%20b%2Bc%3Dd%26e", "a%20b%2Bc%3Dd%26e"},
		{"$,;:@!*'()%", "%24%2C%3B%3A%40%21%2A%27%28%29%25", "%24%2C%3B%3A%40%21%2A%27%28%29%25"},
		{"é日", "%C3%A9%E6%97%A5", "%C3%A9%E6%97%A5"},
	} {
		if got := uriEncode(tc.in, true); got != tc.path {
			t.Errorf("uriEncode(%q, path) = %q, want %q", tc.in, got, tc.path)
		}
		if got := uriEncode(tc.in, false); got != tc.query {
			t.Errorf("uriEncode(%q, query) = %q, want %q", tc.in, got, tc.query)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", ""},
		{"lifecycle", "lifecycle="},
		{"prefix=J&max-keys=2", "max-keys=2&prefix=J"},
		{"a=2&a=1&b", "a=1&a=2&b="},
		{"q=a+b", "q=a%20b"},               // '+' in a query is a space, as for r.URL.Query()
		{"q=a%2Bb", "q=a%2Bb"},             // an escaped plus stays a plus
		{"q=%7e%2f", "q=~%2F"},             // re-encoded with upper-case hex, unreserved left alone
		{"&&x=1&", "x=1"},                  // empty parameters dropped
		{"X-Amz-Signature=abc&x=1", "x=1"}, // skipped name
	} {
		pairs, err := parseQuery(tc.raw)
		if err != nil {
			t.Fatalf("parseQuery(%q): %v", tc.raw, err)
		}
		if got := canonicalQuery(pairs, "X-Amz-Signature"); got != tc.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
	if _, err := parseQuery("a=%zz"); err == nil {
		t.Error("malformed escape accepted")
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := httptest.NewRequest("PUT", "http://example.amazonaws.com/", strings.NewReader("abc"))
	r.Header.Add("My-Header1", "  value1  ")
	r.Header.Add("My-Header2", `"a   b   c"`)
	r.Header.Add("My-Header3", "value4")
	r.Header.Add("My-Header3", "value1")
	got := canonicalHeaders(r, []string{"content-length", "host", "my-header1", "my-header2", "my-header3", "missing"})
	want := "content-length:3\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nmy-header3:value4,value1\nmissing:\n"
	if got != want {
		t.Errorf("canonicalHeaders =\n%s\nwant\n%s", got, want)
	}
}

func TestCanonicalURIs(t *testing.T) {
	for _, tc := range []struct {
		target string
		want   []string
	}{
		{"/", []string{"/"}},
		{"/b/k", []string{"/b/k"}},
		{"/b/a%20b", []string{"/b/a%20b"}},
		{"/b/a+b", []string{"/b/a+b", "/b/a%2Bb"}},
		{"/b/a%2Bb", []string{"/b/a%2Bb"}},
		{"/b/test$file", []string{"/b/test$file", "/b/test%24file"}},
		{"/b/%e6%97%a5", []string{"/b/%e6%97%a5", "/b/%E6%97%A5"}},
	} {
		u, err := url.ParseRequestURI(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		got := canonicalURIs(u)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("canonicalURIs(%q) = %q, want %q", tc.target, got, tc.want)
		}
	}
}

func TestParseSignedHeaders(t *testing.T) {
	for _, bad := range []string{"", "range", "host;", ";host", "Host", "host;x amz", "host;x:y"} {
		if _, err := parseSignedHeaders(bad); err == nil {
			t.Errorf("parseSignedHeaders(%q) accepted", bad)
		}
	}
	if n, err := parseSignedHeaders("host;x-amz-date"); err != nil || len(n) != 2 {
		t.Errorf("parseSignedHeaders: %v %v", n, err)
	}
}
