package web

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestRedirectURL(t *testing.T) {
	plain := httptest.NewRequest("GET", "http://blog.web.localhost:3902/x", nil)
	secure := httptest.NewRequest("GET", "https://blog.example.org/x", nil)
	secure.TLS = &tls.ConnectionState{}
	cases := []struct {
		name                          string
		https                         bool
		protocol, host, key, rawQuery string
		want                          string
	}{
		{"same site", false, "", "", "about/", "", "/about/"},
		{"query kept", false, "", "", "about/", "a=1&b=2", "/about/?a=1&b=2"},
		{"escaped", false, "", "", "été/a b?#.html", "", "/%C3%A9t%C3%A9/a%20b%3F%23.html"},
		{"leading slash stays on site", false, "", "", "/evil.example/x", "", "/%2Fevil.example/x"},
		{"many leading slashes", false, "", "", "//evil.example", "", "/%2F/evil.example"},
		{"backslash escaped", false, "", "", `\evil.example`, "", "/%5Cevil.example"},
		{"other host keeps scheme", false, "", "new.example.com", "a", "", "http://new.example.com/a"},
		{"other host over TLS", true, "", "new.example.com", "a", "", "https://new.example.com/a"},
		{"protocol only keeps host", false, "https", "", "a", "", "https://blog.web.localhost:3902/a"},
		{"both", false, "https", "archive.example.org", "old/x.html", "", "https://archive.example.org/old/x.html"},
		{"absolute with leading slash key", false, "https", "h.example", "/x", "", "https://h.example//x"},
	}
	for _, c := range cases {
		r := plain
		if c.https {
			r = secure
		}
		if got := redirectURL(r, c.protocol, c.host, c.key, c.rawQuery); got != c.want {
			t.Errorf("%s: redirectURL = %q, want %q", c.name, got, c.want)
		}
	}
}
