package model

import "time"

// CachedBucket returns what ResolveBucket would answer for name from its
// cache alone, without reading any table; ok is false when the name is
// not cached (or its entry expired). Callers use it to skip starting a
// concurrent lookup for the common case of a hot bucket.
func (m *Model) CachedBucket(name string) (b Bucket, ok bool) {
	return m.bucketCache.get(name, time.Now())
}
