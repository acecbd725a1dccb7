package model

import (
	"context"
	"fmt"
)

// AliasBucket gives bucket bucketID the extra global name name (a custom
// domain, for the web endpoint: "www.example.org" serves the bucket). The
// name must be free or already the bucket's (ErrBucketExists otherwise).
// A site's live deploy changes bucket at every publish: give a site
// domains with AddSiteDomain, which follow it.
func (m *Model) AliasBucket(ctx context.Context, bucketID, name string) error {
	if !ValidBucketName(name) {
		return fmt.Errorf("alias %q: %w", name, ErrInvalidBucketName)
	}
	if _, err := m.GetBucket(ctx, bucketID); err != nil {
		return err
	}
	return m.withLock(ctx, bucketNameLock(name), func() error {
		cur, err := m.aliasTarget(ctx, name)
		if err != nil {
			return err
		}
		if cur != "" && cur != bucketID {
			return fmt.Errorf("alias %q: %w", name, ErrBucketExists)
		}
		return m.setAlias(ctx, name, bucketID)
	})
}

// UnaliasBucket removes the global name name of bucket bucketID
// (ErrNoSuchBucket when the name is not the bucket's).
func (m *Model) UnaliasBucket(ctx context.Context, bucketID, name string) error {
	return m.withLock(ctx, bucketNameLock(name), func() error {
		cur, err := m.aliasTarget(ctx, name)
		if err != nil {
			return err
		}
		if cur == "" || cur != bucketID {
			return fmt.Errorf("alias %q of bucket %s: %w", name, bucketID, ErrNoSuchBucket)
		}
		return m.setAlias(ctx, name, "")
	})
}
