package model

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/table/crdt"
)

// Errors of sites.
var (
	ErrNoSuchSite   = errors.New("no such site")
	ErrNoSuchDeploy = errors.New("no such deploy")
	// ErrDeployNotReady: the deploy's files are not all uploaded yet (or
	// it is already finished, for FinishDeploy).
	ErrDeployNotReady = errors.New("deploy not ready")
	// ErrNoRollback: the site has no deploy that was live before.
	ErrNoRollback = errors.New("no earlier deploy to roll back to")
	// ErrInvalidSiteRequest: a malformed argument (retention, domain).
	ErrInvalidSiteRequest = errors.New("invalid site request")
)

// Site decisions (creating, finishing, publishing, collecting deploys,
// adding domains) hold the lock of the site's bucket name, the lock
// CreateBucket takes for that name: a bucket created under the site's
// name and a publish cannot both decide on it.
func siteLock(site string) []byte { return bucketNameLock(site) }

// DeployStart is what CreateDeploy answers: the new deploy and the
// buckets the deployer writes to and copies unchanged files from.
type DeployStart struct {
	Deploy Deploy
	// Bucket is the global name of the deploy's bucket ("<id>--<site>").
	Bucket string
	// Base is the global name of the live deploy's bucket, "" when the
	// site has none: files whose content it already has are copied from
	// it server-side (CopyObject shares their blocks).
	Base string
}

// GetSite returns the site's record, read at quorum.
func (m *Model) GetSite(ctx context.Context, name string) (Site, error) {
	s, ok, err := m.sites.Get(ctx, nil, []byte(name))
	if err != nil {
		return Site{}, fmt.Errorf("read site: %w", err)
	}
	m.observeSite(s)
	if !ok {
		return Site{}, fmt.Errorf("site %q: %w", name, ErrNoSuchSite)
	}
	return s, nil
}

func (m *Model) observeSite(s Site) {
	m.clock.Observe(s.Live.TS)
	m.clock.Observe(s.Retention.TS)
	for _, d := range s.Deploys {
		m.clock.Observe(d.TS)
	}
	for _, d := range s.Domains {
		m.clock.Observe(d.TS)
	}
}

// readSite reads the record, a new empty one when there is none.
func (m *Model) readSite(ctx context.Context, name string) (Site, error) {
	s, err := m.GetSite(ctx, name)
	if errors.Is(err, ErrNoSuchSite) {
		return Site{Name: name}, nil
	}
	return s, err
}

// putDeploy writes one deploy record of site.
func (m *Model) putDeploy(ctx context.Context, s Site, d *Deploy) (Site, error) {
	ts := m.clock.After(s.Deploys[d.ID].TS)
	upd := Site{Name: s.Name, Deploys: crdt.LWWMap[string, *Deploy]{}.Set(d.ID, ts, d)}
	if err := m.sites.Insert(ctx, upd); err != nil {
		return s, fmt.Errorf("write deploy record: %w", err)
	}
	return s.Merge(upd), nil
}

// CreateDeploy starts a deploy of site: a new bucket "<id>--<site>" with
// the live deploy's website and CORS configuration (index.html when the
// site has none) and the same key grants; for a new site, ownerKeyID gets
// every right on it. The caller checked that the key may write the site
// (or create buckets, for a new site). Nothing visible changes until the
// deploy is finished and published.
//
// A bucket that already had the site's name before its first deploy (an
// `aws s3 sync` site) is adopted as a deploy, so it can be rolled back to.
func (m *Model) CreateDeploy(ctx context.Context, site, ownerKeyID, message string) (DeployStart, error) {
	if !ValidSiteName(site) {
		return DeployStart{}, siteNameError(site)
	}
	var out DeployStart
	err := m.withLock(ctx, siteLock(site), func() error {
		s, err := m.readSite(ctx, site)
		if err != nil {
			return err
		}
		live, err := m.aliasTarget(ctx, site)
		if err != nil {
			return err
		}
		var base Bucket
		if live != "" {
			if base, err = m.GetBucket(ctx, live); err != nil {
				return err
			}
			if s, err = m.adoptLive(ctx, s, base); err != nil {
				return err
			}
			out.Base = PreviewName(site, s.Live.Value)
		}
		now := time.Now()
		d := Deploy{ID: newDeployID(now), Created: uint64(now.UnixMilli()), Message: message}
		out.Bucket = PreviewName(site, d.ID)
		if target, err := m.aliasTarget(ctx, out.Bucket); err != nil {
			return err
		} else if target != "" {
			return fmt.Errorf("deploy bucket %q: %w", out.Bucket, ErrBucketExists)
		}
		web := &WebsiteConfig{IndexDocument: "index.html"}
		var cors string
		if base.ID != "" {
			if base.Website.Value != nil {
				c := *base.Website.Value
				web = &c
			}
			cors = base.CORS.Value
		}
		ts := m.clock.Now()
		b := Bucket{ID: newID(32), Created: ts, Aliases: crdt.LWWMap[string, bool]{}.Set(out.Bucket, ts, true),
			Website: crdt.NewLWW(ts, web), CORS: crdt.NewLWW(ts, cors)}
		if err := m.insertBuckets(ctx, b); err != nil {
			return fmt.Errorf("create deploy bucket: %w", err)
		}
		if err := m.insertAliases(ctx, Alias{Name: out.Bucket, Bucket: crdt.NewLWW(ts, b.ID)}); err != nil {
			return fmt.Errorf("create deploy bucket alias: %w", err)
		}
		if err := m.copyGrants(ctx, base.ID, b.ID, ownerKeyID); err != nil {
			return err
		}
		d.Bucket = b.ID
		if _, err := m.putDeploy(ctx, s, &d); err != nil {
			return err
		}
		out.Deploy = d
		return nil
	})
	return out, err
}

// adoptLive registers the bucket the site's name points at as a deploy
// when no deploy of the site has it, and returns the record.
func (m *Model) adoptLive(ctx context.Context, s Site, live Bucket) (Site, error) {
	if d, ok := s.Deploy(s.Live.Value); ok && d.Bucket == live.ID {
		return s, nil
	}
	for _, d := range s.DeployList() {
		if d.Bucket == live.ID {
			return m.setLive(ctx, s, d)
		}
	}
	now := time.Now()
	d := Deploy{ID: newDeployID(now), Bucket: live.ID, Created: live.Created, Ready: true, Message: "(the bucket before the first deploy)"}
	if err := m.setAlias(ctx, PreviewName(s.Name, d.ID), live.ID); err != nil {
		return s, err
	}
	objects, bytes, err := m.BucketStats(ctx, live.ID)
	if err != nil {
		return s, err
	}
	d.Files, d.Size = objects, bytes
	return m.setLive(ctx, s, d)
}

// setLive records d as the live deploy (published now) and returns the
// updated record. It does not move any alias.
func (m *Model) setLive(ctx context.Context, s Site, d Deploy) (Site, error) {
	d.Published = m.clock.Now()
	ts := m.clock.After(max(s.Live.TS, s.Deploys[d.ID].TS))
	upd := Site{Name: s.Name, Deploys: crdt.LWWMap[string, *Deploy]{}.Set(d.ID, ts, &d), Live: crdt.NewLWW(ts, d.ID)}
	if err := m.sites.Insert(ctx, upd); err != nil {
		return s, fmt.Errorf("write site record: %w", err)
	}
	return s.Merge(upd), nil
}

// copyGrants gives every key with rights on bucket from the same rights
// on bucket to; with from "" it makes owner the owner of to.
func (m *Model) copyGrants(ctx context.Context, from, to, owner string) error {
	if from == "" {
		if owner == "" {
			return nil
		}
		return m.SetPermissions(ctx, to, owner, Permissions{Read: true, Write: true, Owner: true})
	}
	keys, err := m.KeysOfBucket(ctx, from)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := m.SetPermissions(ctx, to, k.ID, k.Permissions(from)); err != nil {
			return fmt.Errorf("copy grant of key %s: %w", k.ID, err)
		}
	}
	return nil
}

// FinishDeploy marks a deploy ready, with the file count and size of its
// bucket, and publishes it when publish is set. Retention then collects
// old deploys.
func (m *Model) FinishDeploy(ctx context.Context, site, id string, publish bool) (Deploy, error) {
	var out Deploy
	err := m.withLock(ctx, siteLock(site), func() error {
		s, err := m.GetSite(ctx, site)
		if err != nil {
			return err
		}
		d, ok := s.Deploy(id)
		if !ok {
			return fmt.Errorf("deploy %s of site %q: %w", id, site, ErrNoSuchDeploy)
		}
		if d.Ready {
			return fmt.Errorf("deploy %s of site %q is already finished: %w", id, site, ErrDeployNotReady)
		}
		if d.Files, d.Size, err = m.BucketStats(ctx, d.Bucket); err != nil {
			return err
		}
		d.Ready = true
		if s, err = m.putDeploy(ctx, s, &d); err != nil {
			return err
		}
		if publish {
			if d, err = m.publishLocked(ctx, s, d); err != nil {
				return err
			}
		}
		out = d
		return nil
	})
	if err != nil {
		return out, err
	}
	m.collectQuietly(ctx, site)
	return out, nil
}

// PublishDeploy makes a ready deploy live: the site's name and custom
// domains point at its bucket from the first alias write on.
func (m *Model) PublishDeploy(ctx context.Context, site, id string) (Deploy, error) {
	var out Deploy
	err := m.withLock(ctx, siteLock(site), func() error {
		s, err := m.GetSite(ctx, site)
		if err != nil {
			return err
		}
		d, ok := s.Deploy(id)
		if !ok {
			return fmt.Errorf("deploy %s of site %q: %w", id, site, ErrNoSuchDeploy)
		}
		out, err = m.publishLocked(ctx, s, d)
		return err
	})
	if err != nil {
		return out, err
	}
	m.collectQuietly(ctx, site)
	return out, nil
}

// RollbackSite publishes deploy id again, or with id "" the deploy that
// was live before the current one. No data is copied.
func (m *Model) RollbackSite(ctx context.Context, site, id string) (Deploy, error) {
	if id != "" {
		return m.PublishDeploy(ctx, site, id)
	}
	var out Deploy
	err := m.withLock(ctx, siteLock(site), func() error {
		s, err := m.GetSite(ctx, site)
		if err != nil {
			return err
		}
		d, ok := s.previous()
		if !ok {
			return fmt.Errorf("site %q: %w", site, ErrNoRollback)
		}
		out, err = m.publishLocked(ctx, s, d)
		return err
	})
	return out, err
}

// publishLocked moves the site's aliases to d's bucket, then records d as
// live. The caller holds the site's lock.
func (m *Model) publishLocked(ctx context.Context, s Site, d Deploy) (Deploy, error) {
	if !d.Ready {
		return d, fmt.Errorf("deploy %s of site %q: %w", d.ID, s.Name, ErrDeployNotReady)
	}
	if _, err := m.GetBucket(ctx, d.Bucket); err != nil {
		return d, fmt.Errorf("deploy %s of site %q: %w", d.ID, s.Name, err)
	}
	for _, name := range s.names() {
		if err := m.setAlias(ctx, name, d.Bucket); err != nil {
			return d, err
		}
	}
	s, err := m.setLive(ctx, s, d)
	if err != nil {
		return d, err
	}
	d, _ = s.Deploy(d.ID)
	return d, nil
}

// aliasTarget returns the bucket id a global name points at ("" none).
func (m *Model) aliasTarget(ctx context.Context, name string) (string, error) {
	a, ok, err := m.aliases.Get(ctx, nil, []byte(name))
	if err != nil {
		return "", fmt.Errorf("read bucket alias %q: %w", name, err)
	}
	m.clock.Observe(a.Bucket.TS)
	if !ok || a.IsTombstone() {
		return "", nil
	}
	return a.Bucket.Value, nil
}

// setAlias points global name at bucketID ("" removes it), keeping the
// buckets' alias lists in step. The alias entry is the one write that
// switches what the name serves. The caller holds the name's lock (or
// its site's).
func (m *Model) setAlias(ctx context.Context, name, bucketID string) error {
	a, _, err := m.aliases.Get(ctx, nil, []byte(name))
	if err != nil {
		return fmt.Errorf("read bucket alias %q: %w", name, err)
	}
	m.clock.Observe(a.Bucket.TS)
	old := a.Bucket.Value
	if old == bucketID {
		return nil
	}
	ts := m.clock.After(a.Bucket.TS)
	if err := m.insertAliases(ctx, Alias{Name: name, Bucket: crdt.NewLWW(ts, bucketID)}); err != nil {
		return fmt.Errorf("write bucket alias %q: %w", name, err)
	}
	var upd []Bucket
	if old != "" {
		upd = append(upd, Bucket{ID: old, Aliases: crdt.LWWMap[string, bool]{}.Set(name, ts, false)})
	}
	if bucketID != "" {
		upd = append(upd, Bucket{ID: bucketID, Aliases: crdt.LWWMap[string, bool]{}.Set(name, ts, true)})
	}
	if err := m.insertBuckets(ctx, upd...); err != nil {
		return fmt.Errorf("update the aliases of bucket: %w", err)
	}
	return nil
}
