package model

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"

	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ValidBucketName reports whether name follows the S3 naming rules.
func ValidBucketName(name string) bool {
	if !bucketNamePattern.MatchString(name) || net.ParseIP(name) != nil {
		return false
	}
	for i := 1; i < len(name); i++ {
		a, b := name[i-1], name[i]
		if a == '.' && (b == '.' || b == '-') || a == '-' && b == '.' {
			return false
		}
	}
	return true
}

// CreateBucket creates a bucket with global name name. If ownerKeyID is
// not empty, that key gets read, write and owner rights on it.
//
// Exactly one bucket gets a name: the decision holds the name's lock
// (see lock.go for what a network partition can still do) and reads the
// alias at quorum before writing. When the name is taken the error wraps
// ErrBucketExists, and also ErrBucketOwnedByYou when ownerKeyID owns the
// bucket that has it (the bucket is then returned too).
func (m *Model) CreateBucket(ctx context.Context, name, ownerKeyID string) (Bucket, error) {
	if !ValidBucketName(name) {
		return Bucket{}, fmt.Errorf("bucket %q: %w", name, ErrInvalidBucketName)
	}
	var out Bucket
	err := m.withLock(ctx, bucketNameLock(name), func() error {
		a, ok, err := m.aliases.Get(ctx, nil, []byte(name))
		if err != nil {
			return fmt.Errorf("read bucket alias: %w", err)
		}
		m.clock.Observe(a.Bucket.TS)
		if ok && !a.IsTombstone() {
			if ownerKeyID != "" {
				// Read at quorum, not from the key cache.
				if k, ok, err := m.keys.Get(ctx, nil, []byte(ownerKeyID)); err == nil && ok && k.Permissions(a.Bucket.Value).Owner {
					out, _ = m.GetBucket(ctx, a.Bucket.Value)
					return fmt.Errorf("bucket %q: %w", name, ErrBucketOwnedByYou)
				}
			}
			return fmt.Errorf("bucket %q: %w", name, ErrBucketExists)
		}
		ts := m.clock.After(a.Bucket.TS)
		b := Bucket{ID: newID(32), Created: ts, Aliases: crdt.LWWMap[string, bool]{}.Set(name, ts, true)}
		if err := m.insertBuckets(ctx, b); err != nil {
			return fmt.Errorf("create bucket: %w", err)
		}
		if err := m.insertAliases(ctx, Alias{Name: name, Bucket: crdt.NewLWW(ts, b.ID)}); err != nil {
			return fmt.Errorf("create bucket alias: %w", err)
		}
		out = b
		if ownerKeyID != "" {
			return m.SetPermissions(ctx, b.ID, ownerKeyID, Permissions{Read: true, Write: true, Owner: true})
		}
		return nil
	})
	return out, err
}

// GetBucket returns the live bucket with id.
func (m *Model) GetBucket(ctx context.Context, id string) (Bucket, error) {
	b, ok, err := m.buckets.Get(ctx, nil, []byte(id))
	if err != nil {
		return Bucket{}, fmt.Errorf("read bucket: %w", err)
	}
	m.clock.Observe(b.maxTS())
	if !ok || b.IsTombstone() {
		return Bucket{}, fmt.Errorf("bucket %s: %w", id, ErrNoSuchBucket)
	}
	return b, nil
}

// ResolveBucket returns the bucket whose global name is name. It may be up
// to metaCacheTTL old when the bucket was changed on another node.
func (m *Model) ResolveBucket(ctx context.Context, name string) (Bucket, error) {
	if b, ok := m.cachedBucket(ctx, name); ok {
		return b, nil
	}
	return m.ResolveBucketFresh(ctx, name)
}

// ResolveBucketFresh resolves name at quorum, bypassing the cache (and
// refreshing it): for callers whose cached answer refused a request.
func (m *Model) ResolveBucketFresh(ctx context.Context, name string) (Bucket, error) {
	now, gen := time.Now(), m.bucketCache.generation()
	// Read the bucket the name pointed to last beside the alias: if the
	// alias still points there, that read is the answer (one round of
	// quorum reads instead of two).
	hint, hinted := m.aliasHints.get(name)
	var ahead <-chan bucketRead
	if hinted {
		ahead = m.getBucketAhead(ctx, hint)
	}
	a, ok, err := m.aliases.Get(ctx, nil, []byte(name))
	if err != nil {
		return Bucket{}, fmt.Errorf("read bucket alias: %w", err)
	}
	m.clock.Observe(a.Bucket.TS)
	if !ok || a.IsTombstone() {
		m.bucketCache.drop(name, gen)
		m.aliasHints.drop(name)
		return Bucket{}, fmt.Errorf("bucket %q: %w", name, ErrNoSuchBucket)
	}
	var b Bucket
	if id := a.Bucket.Value; hinted && id == hint {
		r := <-ahead
		b, err = r.b, r.err
	} else {
		m.aliasHints.put(name, id)
		b, err = m.GetBucket(ctx, id)
	}
	switch {
	case err == nil:
		m.bucketCache.put(name, b, now, gen)
	case errors.Is(err, ErrNoSuchBucket):
		m.bucketCache.drop(name, gen)
	}
	return b, err
}

// FindBucket resolves a global name or a bucket id (or a unique id prefix
// of at least 8 characters).
func (m *Model) FindBucket(ctx context.Context, ref string) (Bucket, error) {
	if b, err := m.ResolveBucket(ctx, ref); err == nil || !errors.Is(err, ErrNoSuchBucket) {
		return b, err
	}
	if b, err := m.GetBucket(ctx, ref); err == nil || !errors.Is(err, ErrNoSuchBucket) {
		return b, err
	}
	if len(ref) >= 8 {
		all, err := m.ListBuckets(ctx)
		if err != nil {
			return Bucket{}, err
		}
		var found []Bucket
		for _, b := range all {
			if len(b.ID) > len(ref) && b.ID[:len(ref)] == ref {
				found = append(found, b)
			}
		}
		if len(found) == 1 {
			return found[0], nil
		}
	}
	return Bucket{}, fmt.Errorf("bucket %q: %w", ref, ErrNoSuchBucket)
}

// ListBuckets returns every live bucket, ordered by id.
func (m *Model) ListBuckets(ctx context.Context) ([]Bucket, error) {
	bs, err := m.buckets.Range(ctx, nil, table.RangeQuery{})
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return bs, nil
}

// IsEmpty reports whether the bucket holds no object and no upload.
func (m *Model) IsEmpty(ctx context.Context, bucketID string) (bool, error) {
	objs, err := m.objects.Range(ctx, []byte(bucketID), table.RangeQuery{Limit: 1})
	if err != nil {
		return false, fmt.Errorf("list objects: %w", err)
	}
	return len(objs) == 0, nil
}

// DeleteBucket deletes an empty bucket, its global names and its grants.
func (m *Model) DeleteBucket(ctx context.Context, id string) error {
	b, err := m.GetBucket(ctx, id)
	if err != nil {
		return err
	}
	empty, err := m.IsEmpty(ctx, b.ID)
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("bucket %s: %w", id, ErrBucketNotEmpty)
	}
	for _, name := range b.GlobalAliases() {
		a, ok, err := m.aliases.Get(ctx, nil, []byte(name))
		if err != nil {
			return err
		}
		if ok && a.Bucket.Value == b.ID {
			if err := m.insertAliases(ctx, Alias{Name: name, Bucket: crdt.NewLWW(m.clock.After(a.Bucket.TS), "")}); err != nil {
				return fmt.Errorf("remove bucket alias: %w", err)
			}
		}
	}
	keys, err := m.KeysOfBucket(ctx, b.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		ts := m.clock.After(k.Buckets[b.ID].TS)
		if err := m.insertKeys(ctx, Key{ID: k.ID, Buckets: crdt.LWWMap[string, Permissions]{}.Set(b.ID, ts, Permissions{})}); err != nil {
			return fmt.Errorf("remove grant: %w", err)
		}
	}
	if err := m.insertBuckets(ctx, Bucket{ID: b.ID, Deleted: true}); err != nil {
		return fmt.Errorf("delete bucket: %w", err)
	}
	// PUTs that resolved the bucket before its names went may have
	// committed since the check (empty.go).
	if n, err := m.SweepDeletedBucket(ctx, b.ID); err != nil || n > 0 {
		m.log.Warn("swept objects written while the bucket was deleted", "bucket", b.ID, "deleted", n, "err", err)
	}
	return nil
}

// SetWebsite enables (cfg != nil) or disables website access.
func (m *Model) SetWebsite(ctx context.Context, id string, cfg *WebsiteConfig) error {
	b, err := m.GetBucket(ctx, id)
	if err != nil {
		return err
	}
	upd := Bucket{ID: b.ID, Website: crdt.NewLWW(m.clock.After(b.Website.TS), cfg)}
	if err := m.insertBuckets(ctx, upd); err != nil {
		return fmt.Errorf("set website: %w", err)
	}
	return nil
}

// SetCORS stores the bucket's CORS configuration document ("" removes it).
func (m *Model) SetCORS(ctx context.Context, id, doc string) error {
	b, err := m.GetBucket(ctx, id)
	if err != nil {
		return err
	}
	upd := Bucket{ID: b.ID, CORS: crdt.NewLWW(m.clock.After(b.CORS.TS), doc)}
	if err := m.insertBuckets(ctx, upd); err != nil {
		return fmt.Errorf("set cors: %w", err)
	}
	return nil
}

// BucketStats counts the bucket's visible objects and their bytes. It
// walks the bucket: meant for admin requests, not hot paths.
func (m *Model) BucketStats(ctx context.Context, id string) (objects, bytes int64, err error) {
	var start []byte
	for {
		page, err := m.objects.Range(ctx, []byte(id), table.RangeQuery{Start: start, Filter: filterVisible, Limit: 1000})
		if err != nil {
			return 0, 0, fmt.Errorf("count objects: %w", err)
		}
		for _, o := range page {
			v, _ := o.Visible()
			objects++
			if v.Meta != nil {
				bytes += v.Meta.Size
			}
		}
		if len(page) < 1000 {
			return objects, bytes, nil
		}
		start = append([]byte(page[len(page)-1].Key), 0)
	}
}
