package web

import (
	"slices"
	"testing"
)

func TestDefaultContentType(t *testing.T) {
	cases := map[string]string{
		"index.html":         "text/html; charset=utf-8",
		"dir/Page.HTM":       "text/html; charset=utf-8",
		"css/site.css":       "text/css; charset=utf-8",
		"js/app.js":          "text/javascript; charset=utf-8",
		"img/logo.png":       "image/png",
		"img/photo.JPG":      "image/jpeg",
		"img/icon.svg":       "image/svg+xml",
		"app.wasm":           "application/wasm",
		"fonts/a.woff2":      "font/woff2",
		"nix-cache-info":     NixCacheInfoType,
		"sub/nix-cache-info": NixCacheInfoType,
		"0c0f6p3j9k7zv3jw5nsqb5h5dgkd4a0b.narinfo": NarInfoType,
		"nar/1a2b.nar":                    NarType,
		"nar/1a2b.nar.xz":                 NarType,
		"nar/1a2b.nar.zst":                NarType,
		"nar/1a2b.nar.bz2":                NarType,
		"nar/1a2b.nar.br":                 NarType,
		".nar":                            "application/octet-stream",
		"archive.tar.gz":                  "application/gzip",
		"index.html.gz":                   "application/gzip",
		"README":                          "application/octet-stream",
		"dir/":                            "application/octet-stream",
		"":                                "application/octet-stream",
		"weird.ext-that-does-not-exist-1": "application/octet-stream",
	}
	for key, want := range cases {
		if got := DefaultContentType(key); got != want {
			t.Errorf("DefaultContentType(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestCompressible(t *testing.T) {
	yes := []string{"text/html; charset=utf-8", "TEXT/CSS", "application/json", "image/svg+xml", "application/manifest+json", "application/rss+xml", "application/wasm", NarInfoType}
	no := []string{"image/png", "image/jpeg", "application/gzip", NarType, "video/mp4", "application/octet-stream", "font/woff2", ""}
	for _, ct := range yes {
		if !compressible(ct) {
			t.Errorf("compressible(%q) = false", ct)
		}
	}
	for _, ct := range no {
		if compressible(ct) {
			t.Errorf("compressible(%q) = true", ct)
		}
	}
}

func TestAcceptedEncodings(t *testing.T) {
	cases := []struct {
		header string
		want   []string
	}{
		{"", nil},
		{"identity", nil},
		{"gzip", []string{"gzip"}},
		{"x-gzip", []string{"gzip"}},
		{"gzip, deflate, br, zstd", []string{"br", "zstd", "gzip"}},
		{"gzip, deflate, br", []string{"br", "gzip"}},
		{"br;q=0.5, gzip;q=1.0", []string{"gzip", "br"}},
		{"br;q=0, gzip", []string{"gzip"}},
		{"*", []string{"br", "zstd", "gzip"}},
		{"*;q=0.1, gzip;q=0", []string{"br", "zstd"}},
		{"BR ; Q=0.9 , GZip", []string{"gzip", "br"}},
		{"gzip;q=bogus, br", []string{"br"}},
		{"gzip;q=2", nil},
		{",,;;=,", nil},
	}
	for _, c := range cases {
		var got []string
		for _, e := range acceptedEncodings(c.header) {
			got = append(got, e.name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("acceptedEncodings(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}
