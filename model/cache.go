package model

import (
	"context"
	"sync"
	"time"
)

// metaCacheTTL bounds how long a cached access key or bucket may be used
// after it changed on another node: an entry is used for at most this long
// after the read that fetched it began. Changes made through this node
// clear the cache at once (table hooks).
const metaCacheTTL = time.Second

// metaCacheRefreshAfter is the age past which a hit on an entry starts a
// background read that replaces it (refresh-ahead): a key or bucket in
// steady use is read again before it expires, so its requests never wait
// for the quorum reads of a miss (+2 round trips between sites), and the
// bound above is unchanged.
const metaCacheRefreshAfter = metaCacheTTL / 2

// metaCacheRefreshTimeout bounds a background refresh.
const metaCacheRefreshTimeout = 5 * time.Second

// metaCacheMax bounds the entries of one cache; a full cache starts over.
const metaCacheMax = 4096

// ttlCache keeps values for a short time: every S3 and web request reads
// its access key and bucket, which change rarely.
type ttlCache[V any] struct {
	mu sync.Mutex
	m  map[string]*cached[V]
	// gen counts clears: a read that began before a clear must not store
	// what it read (it may predate the change that caused the clear).
	gen uint64
}

type cached[V any] struct {
	v          V
	fetched    time.Time // when the read that fetched v began
	refreshing bool      // a background refresh is under way
}

// get returns the value cached for k if it is younger than metaCacheTTL
// at now. refresh is true for one caller once the entry is older than
// metaCacheRefreshAfter: that caller starts the refresh and reports its
// end with put, drop or refreshFailed.
func (c *ttlCache[V]) get(k string, now time.Time) (v V, ok, refresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil || now.Sub(e.fetched) > metaCacheTTL {
		return v, false, false
	}
	if !e.refreshing && now.Sub(e.fetched) > metaCacheRefreshAfter {
		e.refreshing = true
		refresh = true
	}
	return e.v, true, refresh
}

// generation returns the count of clears, to pass to put and drop by a
// read that begins now.
func (c *ttlCache[V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores v for k as read by a read that began at fetched, unless the
// cache was cleared since gen.
func (c *ttlCache[V]) put(k string, v V, fetched time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= metaCacheMax {
		c.m = map[string]*cached[V]{}
	}
	c.m[k] = &cached[V]{v: v, fetched: fetched}
}

// drop forgets k (a read since gen found it gone).
func (c *ttlCache[V]) drop(k string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		delete(c.m, k)
	}
}

// refreshFailed lets a later hit on k try the refresh again.
func (c *ttlCache[V]) refreshFailed(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[k]; e != nil {
		e.refreshing = false
	}
}

func (c *ttlCache[V]) clear() {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}

// refreshInBackground runs fresh (a *Fresh read, which stores or drops
// the entry itself) apart from the request that found the entry old, with
// the request's values but not its cancellation; a failure leaves the
// entry to expire and lets a later hit try again.
func refreshInBackground[V any](ctx context.Context, c *ttlCache[V], k string, fresh func(context.Context) error) {
	go func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), metaCacheRefreshTimeout)
		defer cancel()
		if err := fresh(rctx); err != nil {
			c.refreshFailed(k)
		}
	}()
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
