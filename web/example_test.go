package web_test

import (
	"fmt"

	"github.com/garage-web/garage-web/web"
)

func ExampleSiteName() {
	for _, host := range []string{"blog.web.example.org:3902", "www.example.org", "127.0.0.1:3902"} {
		name, ok := web.SiteName(host, ".web.example.org")
		fmt.Printf("%s -> %q %v\n", host, name, ok)
	}
	// Output:
	// blog.web.example.org:3902 -> "blog" true
	// www.example.org -> "www.example.org" true
	// 127.0.0.1:3902 -> "" false
}

func ExampleKeyFromPath() {
	for _, p := range []string{"/", "/docs/a%20b.html", "/a%2Fb", "/%2e%2e/etc/passwd"} {
		key, err := web.KeyFromPath(p)
		fmt.Printf("%s -> %q %v\n", p, key, err)
	}
	// Output:
	// / -> "" <nil>
	// /docs/a%20b.html -> "docs/a b.html" <nil>
	// /a%2Fb -> "a/b" <nil>
	// /%2e%2e/etc/passwd -> "" invalid request path
}

func ExampleDefaultContentType() {
	for _, key := range []string{"index.html", "nix-cache-info", "abc.narinfo", "nar/abc.nar.xz", "photo.png"} {
		fmt.Println(key, "->", web.DefaultContentType(key))
	}
	// Output:
	// index.html -> text/html; charset=utf-8
	// nix-cache-info -> text/x-nix-cache-info
	// abc.narinfo -> text/x-nix-narinfo
	// nar/abc.nar.xz -> application/x-nix-nar
	// photo.png -> image/png
}
