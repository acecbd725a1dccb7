package bucketconfig

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const corsDoc = `<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>`

func TestPreflight(t *testing.T) {
	req := func(origin, method, headers string) *http.Request {
		r := httptest.NewRequest(http.MethodOptions, "/k", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		return r
	}
	h := http.Header{}
	if !Preflight(h, req("https://a.example", "GET", "X-Foo"), corsDoc) {
		t.Fatal("allowed preflight refused")
	}
	if h.Get("Access-Control-Allow-Origin") != "https://a.example" || h.Get("Access-Control-Allow-Headers") != "x-foo" || h.Get("Access-Control-Max-Age") != "60" {
		t.Fatalf("headers %v", h)
	}
	for _, c := range []struct {
		r    *http.Request
		cors string
	}{
		{req("https://b.example", "GET", ""), corsDoc},
		{req("https://a.example", "PUT", ""), corsDoc},
		{req("https://a.example", "GET", "Authorization"), corsDoc},
		{req("https://a.example", "GET", ""), ""},
		{req("https://a.example", "GET", ""), "<not xml"},
	} {
		h := http.Header{}
		if Preflight(h, c.r, c.cors) || len(h) != 0 {
			t.Errorf("refused preflight allowed or wrote %v", h)
		}
	}
}

func TestSetCORSHeaders(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/k", nil)
	h := http.Header{}
	SetCORSHeaders(h, r, corsDoc)
	if len(h) != 0 {
		t.Fatalf("no Origin: %v", h)
	}
	r.Header.Set("Origin", "https://a.example")
	SetCORSHeaders(h, r, corsDoc)
	if h.Get("Access-Control-Allow-Origin") != "https://a.example" || h.Get("Access-Control-Allow-Methods") != "" {
		t.Fatalf("headers %v", h)
	}
}

func TestWebsiteFromSettings(t *testing.T) {
	w, err := WebsiteFromSettings("", "", "404.html")
	if err != nil || w.IndexDocument.Suffix != "index.html" || w.ErrorDocument.Key != "404.html" {
		t.Fatalf("admin settings: %+v, %v", w, err)
	}
	w, err = WebsiteFromSettings(`<WebsiteConfiguration><IndexDocument><Suffix>home.html</Suffix></IndexDocument></WebsiteConfiguration>`, "ignored.html", "")
	if err != nil || w.IndexDocument.Suffix != "home.html" || w.ErrorDocument != nil {
		t.Fatalf("S3 document: %+v, %v", w, err)
	}
	if _, err := WebsiteFromSettings("<bad", "", ""); err == nil {
		t.Fatal("malformed document accepted")
	}
}
