package autotls

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/web"
)

// failingSites answers every question with an error.
type failingSites struct{}

func (failingSites) HasSite(context.Context, string) (bool, error) {
	return false, errors.New("metadata unreachable")
}

func TestPolicy(t *testing.T) {
	ctx := context.Background()
	m := mustModel(t)
	site := func(name string, website bool) {
		b, err := m.CreateBucket(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		if website {
			if err := m.SetWebsite(ctx, b.ID, &model.WebsiteConfig{IndexDocument: "index.html"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	site("blog.sites.example.com", true) // custom domain: the bucket's name
	site("docs", true)                   // under the root domain
	site("private.example.com", false)   // a bucket without website access
	site("private", false)
	srv, err := web.New(web.Config{RootDomain: ".web.example.org"}, m, prometheus.NewRegistry(), discard())
	if err != nil {
		t.Fatal(err)
	}
	p := NewPolicy(srv, []string{"www.Example.net.", "static.example.net"})

	allowed := []string{
		"blog.sites.example.com",
		"BLOG.Sites.Example.com.", // case and a trailing dot do not matter
		"docs.web.example.org",
		"www.example.net", // configured
		"static.example.net",
	}
	for _, name := range allowed {
		if err := p.Allow(ctx, name); err != nil {
			t.Errorf("Allow(%q) = %v, want nil", name, err)
		}
	}
	refused := map[string]string{
		"unknown bucket":               "nope.sites.example.com",
		"unknown bucket under root":    "nope.web.example.org",
		"bucket without website":       "private.example.com",
		"bucket without website, root": "private.web.example.org",
		"bucket name alone":            "docs",
		"subdomain of a site":          "x.blog.sites.example.com",
		"subdomain of a domain":        "x.www.example.net",
		"IPv4":                         "127.0.0.1",
		"IPv6":                         "::1",
		"IPv6 brackets":                "[::1]",
		"digits only":                  "1.2.3.4.5",
		"with port":                    "blog.sites.example.com:443",
		"wildcard":                     "*.sites.example.com",
		"empty":                        "",
		"dot":                          ".",
		"empty label":                  "blog..sites.example.com",
		"leading dot":                  ".blog.sites.example.com",
		"leading hyphen":               "-blog.example.com",
		"trailing hyphen":              "blog-.example.com",
		"underscore":                   "my_blog.example.com",
		"slash":                        "blog.sites.example.com/x",
		"space":                        "blog sites.example.com",
		"NUL":                          "blog.sites.example.com\x00",
		"unicode":                      "blög.example.com",
		"percent":                      "blog%2esites.example.com",
		"localhost":                    "localhost",
		"under localhost":              "blog.web.localhost",
		"label too long":               "a123456789012345678901234567890123456789012345678901234567890123.example.com",
	}
	for why, name := range refused {
		err := p.Allow(ctx, name)
		if !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: Allow(%q) = %v, want ErrNotAllowed", why, name, err)
		}
	}

	// The metadata cannot be read: refuse (fail closed), with the cause.
	err = NewPolicy(failingSites{}, nil).Allow(ctx, "blog.sites.example.com")
	if err == nil || errors.Is(err, ErrNotAllowed) {
		t.Errorf("Allow with a failing lookup = %v, want the lookup error", err)
	}
	// Website access switched off: refused from then on.
	b, _ := m.ResolveBucket(ctx, "blog.sites.example.com")
	if err := m.SetWebsite(ctx, b.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Allow(ctx, "blog.sites.example.com"); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("after disabling the website: Allow = %v, want ErrNotAllowed", err)
	}
}

func TestValidNameLength(t *testing.T) {
	label := "abcdefghij" + "abcdefghij" + "abcdefghij" + "abcdefghij" + "abcdefghij" + "abcdefghij" + "abc" // 63
	if !ValidName(label + ".example.com") {
		t.Errorf("63-byte label refused")
	}
	long := label + "." + label + "." + label + "." + label // 255
	if ValidName(long) {
		t.Errorf("%d-byte name allowed", len(long))
	}
}
