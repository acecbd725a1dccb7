package model

import (
	"context"
	"sync"
	"time"
)

// metaCacheTTL bounds how long a cached access key or bucket may be used
// after it changed on another node. Changes made through this node clear
// the cache at once (table hooks).
const metaCacheTTL = time.Second

// metaCacheMax bounds the entries of one cache; a full cache starts over.
const metaCacheMax = 4096

// ttlCache keeps values for a short time: every S3 and web request reads
// its access key and bucket, which change rarely.
type ttlCache[V any] struct {
	mu sync.Mutex
	m  map[string]cached[V]
}

type cached[V any] struct {
	v       V
	expires time.Time
}

func (c *ttlCache[V]) get(k string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[V]) put(k string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= metaCacheMax {
		c.m = map[string]cached[V]{}
	}
	c.m[k] = cached[V]{v: v, expires: now.Add(metaCacheTTL)}
}

func (c *ttlCache[V]) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// insertKeys, insertBuckets and insertAliases write through the caches:
// they are cleared again once the write is committed, so that a request
// that read the old value during the write does not keep it.
func (m *Model) insertKeys(ctx context.Context, ks ...Key) error {
	defer m.keyCache.clear()
	return m.keys.Insert(ctx, ks...)
}

func (m *Model) insertBuckets(ctx context.Context, bs ...Bucket) error {
	defer m.bucketCache.clear()
	return m.buckets.Insert(ctx, bs...)
}

func (m *Model) insertAliases(ctx context.Context, as ...Alias) error {
	defer m.bucketCache.clear()
	return m.aliases.Insert(ctx, as...)
}
