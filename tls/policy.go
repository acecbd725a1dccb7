package autotls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrNotAllowed is returned by [Policy.Allow] for a name the node does
// not host.
var ErrNotAllowed = errors.New("no certificate for this name: not a website of this cluster")

// SiteChecker tells whether the web endpoint serves a host: a bucket with
// website access enabled. *web.Server implements it. It must be safe for
// concurrent use.
type SiteChecker interface {
	HasSite(ctx context.Context, host string) (bool, error)
}

// Policy decides which names may have a certificate. Its Allow method is
// certmagic's on-demand DecisionFunc.
type Policy struct {
	sites   SiteChecker
	domains map[string]bool
}

// NewPolicy allows the websites sites serves plus the listed domains
// (case-insensitive, a trailing dot ignored). sites may be nil: only the
// domains are allowed.
func NewPolicy(sites SiteChecker, domains []string) *Policy {
	p := &Policy{sites: sites, domains: make(map[string]bool, len(domains))}
	for _, d := range domains {
		p.domains[canonicalName(d)] = true
	}
	return p
}

// Allow returns nil if a certificate may be obtained for name, an error
// wrapping [ErrNotAllowed] if not, and any other error if it could not
// tell (the metadata could not be read): it then refuses too.
func (p *Policy) Allow(ctx context.Context, name string) error {
	n := canonicalName(name)
	if !ValidName(n) {
		return fmt.Errorf("%q: not a DNS name a certificate can be issued for: %w", name, ErrNotAllowed)
	}
	if p.domains[n] {
		return nil
	}
	if p.sites == nil {
		return fmt.Errorf("%q: %w", name, ErrNotAllowed)
	}
	ok, err := p.sites.HasSite(ctx, n)
	if err != nil {
		return fmt.Errorf("%q: checking for a website: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("%q: %w", name, ErrNotAllowed)
	}
	return nil
}

// canonicalName lowercases name and drops one trailing dot.
func canonicalName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// ValidName reports whether name (lowercase, no trailing dot) can have a
// public certificate: two labels or more of a-z, 0-9 and inner hyphens,
// 63 bytes per label, 253 in all; not an IP address, not a wildcard, not
// localhost or a name under it.
func ValidName(name string) bool {
	if name == "" || len(name) > 253 || net.ParseIP(name) != nil {
		return false
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// The top-level label of a host name is never all digits ("1.2.3.4.5").
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}
