package model

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// Sites and deploys (see docs/hosting.md).
//
// A site is a global bucket name whose alias points at the bucket of its
// live deploy. Every deploy is its own bucket, named "<id>--<site>" (the
// preview host name's first label), written once by `site deploy` and
// never changed after it is ready. Publishing or rolling back re-points
// the site's alias (and its custom domains) at another deploy's bucket:
// one alias write, the atomic switch. The site's record lists the
// deploys, the live one, the custom domains and the retention:
//
//	sites  pk ""  sk site name  Site
type Site struct {
	Name string `json:"name"`
	// Deploys by id; nil once collected (a tombstone that merges).
	Deploys crdt.LWWMap[string, *Deploy] `json:"deploys,omitempty"`
	// Live is the id of the live deploy ("" before the first publish).
	Live crdt.LWW[string] `json:"live"`
	// Domains are the site's custom domains (false once removed).
	Domains crdt.LWWMap[string, bool] `json:"domains,omitempty"`
	// Retention of old deploys.
	Retention crdt.LWW[SiteRetention] `json:"retention"`
}

// Deploy is one deploy of a site. A deploy record is rewritten whole
// (under the site's lock) when it becomes ready or is published.
type Deploy struct {
	ID string `json:"id"`
	// Bucket is the id of the deploy's bucket.
	Bucket  string `json:"bucket"`
	Created uint64 `json:"created"` // ms since the epoch
	Message string `json:"message,omitempty"`
	// Ready: every file is uploaded; only ready deploys can go live.
	Ready bool  `json:"ready"`
	Files int64 `json:"files"`
	Size  int64 `json:"size"`
	// Published is when the deploy last went live (0: never).
	Published uint64 `json:"published,omitempty"`
}

// SiteRetention bounds how many old deploys a site keeps. The live
// deploy and the deploy live before it are always kept.
type SiteRetention struct {
	// Keep is the number of ready deploys kept (default DefaultKeepDeploys).
	Keep int `json:"keep,omitempty"`
	// MaxAge: ready deploys older than this are collected (0: no limit).
	MaxAge time.Duration `json:"maxAge,omitempty"`
}

// Limits and defaults of sites.
const (
	// DefaultKeepDeploys is the number of deploys a site keeps by default.
	DefaultKeepDeploys = 10
	// AbandonedDeployAge: a deploy still not ready after this long was
	// interrupted; it is collected.
	AbandonedDeployAge = 24 * time.Hour
	// deployIDLen is the length of a deploy id.
	deployIDLen = 13
	// MaxSiteNameLen keeps "<id>--<site>" a valid bucket name (63 bytes).
	MaxSiteNameLen = 63 - deployIDLen - 2
)

// PartitionKey implements table.Entry: all sites share one partition.
func (s Site) PartitionKey() []byte { return nil }

// SortKey implements table.Entry.
func (s Site) SortKey() []byte { return []byte(s.Name) }

// IsTombstone implements table.Entry: a site record is never removed.
func (s Site) IsTombstone() bool { return false }

// Merge implements table.Entry: field-wise LWW merges.
func (s Site) Merge(o Site) Site {
	out := s
	if out.Name == "" {
		out.Name = o.Name
	}
	out.Deploys = s.Deploys.Merge(o.Deploys)
	out.Live = s.Live.Merge(o.Live)
	out.Domains = s.Domains.Merge(o.Domains)
	out.Retention = s.Retention.Merge(o.Retention)
	return out
}

// DeployList returns the deploys still kept, newest first.
func (s Site) DeployList() []Deploy {
	var out []Deploy
	for _, id := range s.Deploys.Keys() {
		if d := s.Deploys[id].Value; d != nil {
			out = append(out, *d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created > out[j].Created
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// Deploy returns the deploy with id, if kept.
func (s Site) Deploy(id string) (Deploy, bool) {
	d := s.Deploys[id].Value
	if d == nil {
		return Deploy{}, false
	}
	return *d, true
}

// DomainList returns the site's custom domains, sorted.
func (s Site) DomainList() []string {
	var out []string
	for _, d := range s.Domains.Keys() {
		if s.Domains[d].Value {
			out = append(out, d)
		}
	}
	return out
}

// names returns the global names that point at the live deploy: the
// site's own name first, then its custom domains.
func (s Site) names() []string { return append([]string{s.Name}, s.DomainList()...) }

// previous returns the ready deploy published most recently before the
// live one.
func (s Site) previous() (Deploy, bool) {
	live, _ := s.Deploy(s.Live.Value)
	var best Deploy
	found := false
	for _, d := range s.DeployList() {
		if d.ID == live.ID || !d.Ready || d.Published == 0 {
			continue
		}
		if live.Published != 0 && d.Published > live.Published {
			continue
		}
		if !found || d.Published > best.Published {
			best, found = d, true
		}
	}
	return best, found
}

var deployIDPattern = regexp.MustCompile(`^[a-z][a-z0-9]{12}$`)

// ValidDeployID reports whether id has the form of a deploy id: lower-case
// letters and digits, so that "<id>--<site>" is a host name label.
func ValidDeployID(id string) bool { return deployIDPattern.MatchString(id) }

// newDeployID returns a deploy id: "d", the time in base 36 (8 digits,
// ordered until the year 2059), then 4 random base-36 digits.
func newDeployID(now time.Time) string {
	t := strconv.FormatInt(now.UnixMilli(), 36)
	for len(t) < 8 {
		t = "0" + t
	}
	r := newID(8)
	n, _ := strconv.ParseUint(r, 16, 64)
	rs := strconv.FormatUint(n, 36)
	for len(rs) < 4 {
		rs = "0" + rs
	}
	return "d" + t[len(t)-8:] + rs[:4]
}

// PreviewName returns the global bucket name of a deploy's bucket, which
// is also the first label of its preview host.
func PreviewName(site, id string) string { return id + "--" + site }

// ParsePreviewName splits a deploy bucket's name into deploy id and site.
func ParsePreviewName(name string) (id, site string, ok bool) {
	id, site, ok = strings.Cut(name, "--")
	if !ok || !ValidDeployID(id) || site == "" {
		return "", "", false
	}
	return id, site, true
}

// ValidSiteName reports whether name can be a site: a bucket name short
// enough for its deploys' names, and not itself a deploy's name.
func ValidSiteName(name string) bool {
	if _, _, ok := ParsePreviewName(name); ok {
		return false
	}
	return ValidBucketName(name) && len(name) <= MaxSiteNameLen
}

func siteNameError(name string) error {
	return fmt.Errorf("site %q: a site name is a bucket name of at most %d characters, without \"--\" after a deploy id: %w", name, MaxSiteNameLen, ErrInvalidBucketName)
}

// openSiteTable opens the sites table.
func openSiteTable(local *table.Local, placement table.Placement) (*table.Table[Site], error) {
	return table.New(table.Schema[Site]{Name: "sites", Encode: encodeEntry[Site], Decode: decodeEntry[Site]}, local, placement, table.Options[Site]{})
}
