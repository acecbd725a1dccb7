package model

import (
	"context"
	"time"
)

// CachedBucket returns what ResolveBucket would answer for name from its
// cache alone, without waiting for any table read; ok is false when the
// name is not cached (or its entry expired). Callers use it to skip
// starting a concurrent lookup for the common case of a hot bucket. Like
// ResolveBucket, a hit on an entry past half its life starts a background
// refresh of it.
func (m *Model) CachedBucket(name string) (b Bucket, ok bool) {
	return m.cachedBucket(context.Background(), name)
}

// cachedBucket is the cache lookup of ResolveBucket and CachedBucket.
func (m *Model) cachedBucket(ctx context.Context, name string) (Bucket, bool) {
	b, ok, refresh := m.bucketCache.get(name, time.Now())
	if refresh {
		refreshInBackground(ctx, &m.bucketCache, name, func(ctx context.Context) error {
			_, err := m.ResolveBucketFresh(ctx, name)
			return err
		})
	}
	return b, ok
}
