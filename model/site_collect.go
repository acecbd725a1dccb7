package model

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/table/crdt"
)

// SetSiteRetention sets how many old deploys the site keeps.
func (m *Model) SetSiteRetention(ctx context.Context, site string, r SiteRetention) error {
	if r.Keep < 0 || r.MaxAge < 0 {
		return fmt.Errorf("retention: keep and max age must not be negative: %w", ErrInvalidSiteRequest)
	}
	return m.withLock(ctx, siteLock(site), func() error {
		s, err := m.GetSite(ctx, site)
		if err != nil {
			return err
		}
		upd := Site{Name: site, Retention: crdt.NewLWW(m.clock.After(s.Retention.TS), r)}
		if err := m.sites.Insert(ctx, upd); err != nil {
			return fmt.Errorf("write site retention: %w", err)
		}
		return nil
	})
}

// expired returns the deploys retention r collects at now: ready deploys
// past the newest r.Keep or older than r.MaxAge, and deploys never
// finished within AbandonedDeployAge. The live deploy and the one live
// before it are always kept.
func (s Site) expired(now time.Time) []Deploy {
	r := s.Retention.Value
	keep := r.Keep
	if keep == 0 {
		keep = DefaultKeepDeploys
	}
	prev, _ := s.previous()
	nowMs := uint64(now.UnixMilli())
	var out []Deploy
	ready := 0
	for _, d := range s.DeployList() {
		if d.ID == s.Live.Value || d.ID == prev.ID {
			if d.Ready {
				ready++
			}
			continue
		}
		age := time.Duration(nowMs-min(nowMs, d.Created)) * time.Millisecond
		switch {
		case !d.Ready:
			if age > AbandonedDeployAge {
				out = append(out, d)
			}
		case ready >= keep, r.MaxAge > 0 && age > r.MaxAge:
			out = append(out, d)
		default:
			ready++
		}
	}
	return out
}

// CollectDeploys removes the deploys the site's retention no longer
// keeps: their records first (under the site's lock), then their
// buckets' objects and the buckets. A crash between the two leaves an
// unnamed bucket behind, which `garage-web bucket delete` removes.
func (m *Model) CollectDeploys(ctx context.Context, site string, now time.Time) (int, error) {
	var victims []Deploy
	err := m.withLock(ctx, siteLock(site), func() error {
		s, err := m.GetSite(ctx, site)
		if err != nil {
			return err
		}
		victims = s.expired(now)
		if len(victims) == 0 {
			return nil
		}
		upd := Site{Name: site, Deploys: crdt.LWWMap[string, *Deploy]{}}
		for _, d := range victims {
			upd.Deploys = upd.Deploys.Set(d.ID, m.clock.After(s.Deploys[d.ID].TS), nil)
		}
		if err := m.sites.Insert(ctx, upd); err != nil {
			return fmt.Errorf("write site record: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, d := range victims {
		if err := m.emptyAndDeleteBucket(ctx, d.Bucket); err != nil {
			return 0, fmt.Errorf("collect deploy %s of site %q: %w", d.ID, site, err)
		}
	}
	return len(victims), nil
}

// collectQuietly runs CollectDeploys and logs what it did.
func (m *Model) collectQuietly(ctx context.Context, site string) {
	n, err := m.CollectDeploys(ctx, site, time.Now())
	switch {
	case err != nil:
		m.log.Warn("collecting old deploys failed; the next deploy retries", "site", site, "err", err)
	case n > 0:
		m.log.Info("collected old deploys", "site", site, "count", n)
	}
}

// emptyAndDeleteBucket deletes every object of a bucket, then the bucket.
func (m *Model) emptyAndDeleteBucket(ctx context.Context, id string) error {
	for {
		page, err := m.ListObjects(ctx, ListInput{BucketID: id, MaxKeys: 1000})
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := m.DeleteObject(ctx, id, o.Key); err != nil {
				return err
			}
		}
		if !page.IsTruncated {
			break
		}
	}
	err := m.DeleteBucket(ctx, id)
	if err != nil && !errors.Is(err, ErrNoSuchBucket) {
		return err
	}
	return nil
}
