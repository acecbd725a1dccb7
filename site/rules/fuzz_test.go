package rules

import (
	"net/http"
	"testing"
)

func FuzzParseRedirects(f *testing.F) {
	f.Add([]byte(sample), "/blog/x")
	f.Add([]byte("/*  /index.html  200\n/:a/:b /:b/:a 302!"), "/x/y")
	f.Add([]byte("/a /b 30"), "/")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		rs, errs := ParseRedirects(data)
		for _, e := range errs {
			if e.Line < 1 {
				t.Fatalf("line %d", e.Line)
			}
		}
		for _, r := range rs.Rules {
			if !validStatus(r.Status) || r.From == "" || r.To == "" {
				t.Fatalf("bad rule kept: %+v", r)
			}
		}
		rs.Match("/"+path, false)
		rs.Match("/"+path, true)
	})
}

func FuzzParseHeaders(f *testing.F) {
	f.Add([]byte("/*\n  X-A: b\n/x/:y\n  Cache-Control: no-cache\n"), "/x/z")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		hs, _ := ParseHeaders(data)
		hs.Apply("/"+path, http.Header{})
	})
}
