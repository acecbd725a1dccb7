package model

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/table/crdt"
)

// AddSiteDomain makes domain (a host name, used as a global bucket name)
// serve the site's live deploy, now and after every publish. The name
// must be free or already the site's (ErrBucketExists otherwise); the
// site needs a live deploy. The decision holds the site's lock, not the
// domain's, so that publishes see every domain.
func (m *Model) AddSiteDomain(ctx context.Context, site, domain string) error {
	if !ValidBucketName(domain) || domain == site {
		return fmt.Errorf("domain %q: not a host name a site can have: %w", domain, ErrInvalidSiteRequest)
	}
	if _, _, ok := ParsePreviewName(domain); ok {
		return fmt.Errorf("domain %q: a deploy's preview name: %w", domain, ErrInvalidSiteRequest)
	}
	return m.withLock(ctx, siteLock(site), func() error {
		s, err := m.GetSite(ctx, site)
		if err != nil {
			return err
		}
		live, ok := s.Deploy(s.Live.Value)
		if !ok {
			return fmt.Errorf("site %q has no live deploy: %w", site, ErrNoSuchDeploy)
		}
		cur, err := m.aliasTarget(ctx, domain)
		if err != nil {
			return err
		}
		if cur != "" && !s.hasBucket(cur) {
			return fmt.Errorf("domain %q: %w", domain, ErrBucketExists)
		}
		upd := Site{Name: site, Domains: crdt.LWWMap[string, bool]{}.Set(domain, m.clock.After(s.Domains[domain].TS), true)}
		if err := m.sites.Insert(ctx, upd); err != nil {
			return fmt.Errorf("write site domains: %w", err)
		}
		return m.setAlias(ctx, domain, live.Bucket)
	})
}

// RemoveSiteDomain removes a custom domain of the site: the name no
// longer serves anything.
func (m *Model) RemoveSiteDomain(ctx context.Context, site, domain string) error {
	return m.withLock(ctx, siteLock(site), func() error {
		s, err := m.GetSite(ctx, site)
		if err != nil {
			return err
		}
		if !s.Domains[domain].Value {
			return fmt.Errorf("domain %q of site %q: %w", domain, site, ErrNoSuchBucket)
		}
		upd := Site{Name: site, Domains: crdt.LWWMap[string, bool]{}.Set(domain, m.clock.After(s.Domains[domain].TS), false)}
		if err := m.sites.Insert(ctx, upd); err != nil {
			return fmt.Errorf("write site domains: %w", err)
		}
		cur, err := m.aliasTarget(ctx, domain)
		if err != nil || cur == "" || !s.hasBucket(cur) {
			return err
		}
		return m.setAlias(ctx, domain, "")
	})
}

// hasBucket reports whether bucket id is one of the site's deploys.
func (s Site) hasBucket(id string) bool {
	for _, d := range s.DeployList() {
		if d.Bucket == id {
			return true
		}
	}
	return false
}
