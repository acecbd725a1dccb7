package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/site/rules"
)

// A site's Netlify-style rules files (docs/web.md, "Rules files"): they
// are read and parsed once per change, cached by bucket, and never
// served as files.
const (
	redirectsFile = "_redirects"
	headersFile   = "_headers"
	// rulesRecheck: how long parsed rules are used before the files'
	// ETags are checked again (an `aws s3 cp _redirects` is seen within
	// this delay; a deploy is a new bucket, seen at once).
	rulesRecheck = 5 * time.Second
	// maxCachedRules bounds the cache (it is emptied when full).
	maxCachedRules = 4096
)

// siteRules are the parsed rules of one bucket.
type siteRules struct {
	redirects *rules.Redirects
	headers   *rules.Headers
}

type cachedRules struct {
	etags   [2]string // of _redirects and _headers ("" none)
	rules   siteRules
	checked time.Time
}

// isRulesFile reports whether key is a rules file, which is not served.
func isRulesFile(key string) bool { return key == redirectsFile || key == headersFile }

// rules returns the bucket's parsed rules, reading the files again only
// when their ETags changed.
func (s *Server) rules(ctx context.Context, name string, bucketID string) (siteRules, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.rulesCache[bucketID]
	s.mu.Unlock()
	if ok && now.Sub(c.checked) < rulesRecheck {
		return c.rules, nil
	}
	var vs [2]*model.ObjectVersion
	var etags [2]string
	for i, key := range []string{redirectsFile, headersFile} {
		v, err := head(ctx, s.store, bucketID, key)
		if err != nil {
			return siteRules{}, fmt.Errorf("read %s: %w", key, err)
		}
		if v != nil {
			vs[i], etags[i] = v, v.Meta.ETag
		}
	}
	if !ok || etags != c.etags {
		c = cachedRules{etags: etags}
		for i, v := range vs {
			if v == nil {
				continue
			}
			data, err := s.readSmall(ctx, *v)
			if err != nil {
				return siteRules{}, err
			}
			var errs []rules.LineError
			if i == 0 {
				c.rules.redirects, errs = rules.ParseRedirects(data)
			} else {
				c.rules.headers, errs = rules.ParseHeaders(data)
			}
			for _, e := range errs {
				s.log.Warn("site rules file: malformed line ignored", "site", name, "file", e.File, "line", e.Line, "error", e.Msg)
			}
		}
	}
	c.checked = now
	s.mu.Lock()
	if len(s.rulesCache) >= maxCachedRules {
		s.rulesCache = map[string]cachedRules{}
	}
	s.rulesCache[bucketID] = c
	s.mu.Unlock()
	return c.rules, nil
}

// readSmall reads the first rules.MaxFileSize bytes of an object.
func (s *Server) readSmall(ctx context.Context, v model.ObjectVersion) ([]byte, error) {
	n := min(v.Meta.Size, rules.MaxFileSize)
	rc, err := s.store.Open(ctx, v, 0, n)
	if err != nil {
		return nil, fmt.Errorf("read rules file: %w", err)
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, n))
}

// applyRedirect turns a matching _redirects rule into a route: a redirect,
// or for 200 and 404 the object at the target (ok false when the target
// does not exist: the request goes on as if the rule did not match).
func applyRedirect(ctx context.Context, st Store, s *site, r *http.Request, m rules.Match, index string) (route, bool, error) {
	rule := m.Rule
	if !rule.IsRewrite() {
		loc := m.To
		if r.URL.RawQuery != "" && !strings.Contains(loc, "?") {
			loc += "?" + r.URL.RawQuery
		}
		return route{status: rule.Status, location: loc}, true, nil
	}
	target, _, _ := strings.Cut(strings.TrimPrefix(m.To, "/"), "?")
	if target == "" || strings.HasSuffix(target, "/") {
		target += index
	}
	if isRulesFile(target) || len(target) > MaxKeyLength {
		return route{}, false, nil
	}
	v, err := head(ctx, st, s.bucket.ID, target)
	if err != nil || v == nil {
		return route{}, false, err
	}
	rt := route{key: target, v: *v}
	if rule.Status == http.StatusNotFound {
		rt.code = http.StatusNotFound
	}
	return rt, true, nil
}

// fingerprinted matches file names with a content hash: app.3f9a1c2e.js,
// index-BhD5v2xk.js (8+ hex digits, or 8 base64url characters with a
// digit).
var fingerprinted = regexp.MustCompile(`[.-]([0-9a-f]{8,}|[A-Za-z0-9_]{8})\.[A-Za-z0-9]+$`)

// defaultCacheControl is the Cache-Control of a deploy's files that have
// none (stored or from _headers): HTML revalidates, fingerprinted assets
// are immutable for a year.
func defaultCacheControl(key, ctype string) string {
	switch {
	case strings.HasPrefix(ctype, "text/html"):
		return "public, max-age=0, must-revalidate"
	case fingerprintedName(key):
		return "public, max-age=31536000, immutable"
	}
	return ""
}

func fingerprintedName(key string) bool {
	m := fingerprinted.FindStringSubmatch(key)
	return m != nil && strings.ContainsAny(m[1], "0123456789")
}

// isDeployBucket reports whether b is a site's deploy (it has a deploy's
// name), whose files get the site defaults.
func isDeployBucket(b model.Bucket) bool {
	for _, name := range b.GlobalAliases() {
		if _, _, ok := model.ParsePreviewName(name); ok {
			return true
		}
	}
	return false
}

// earlierAsset finds a fingerprinted asset missing from a deploy in the
// site's earlier deploys (newest first), so that a page of the previous
// deploy, loaded before a publish, still gets its CSS and scripts until
// the retention collects that deploy. Only misses of fingerprinted names
// pay for it: one quorum read of the site record and one lookup per kept
// deploy.
func earlierAsset(ctx context.Context, st Store, s *site, key string) (route, bool, error) {
	if !s.deploy || !fingerprintedName(key) {
		return route{}, false, nil
	}
	name := ""
	for _, alias := range s.bucket.GlobalAliases() {
		if _, site, ok := model.ParsePreviewName(alias); ok {
			name = site
			break
		}
	}
	rec, err := st.GetSite(ctx, name)
	if errors.Is(err, model.ErrNoSuchSite) {
		return route{}, false, nil
	}
	if err != nil {
		return route{}, false, err
	}
	for _, d := range rec.DeployList() {
		if d.Bucket == s.bucket.ID || !d.Ready {
			continue
		}
		v, err := head(ctx, st, d.Bucket, key)
		if err != nil {
			return route{}, false, err
		}
		if v != nil {
			return route{key: key, v: *v}, true, nil
		}
	}
	return route{}, false, nil
}
