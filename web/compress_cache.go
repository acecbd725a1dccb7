package web

import (
	"container/list"
	"sync"
)

// Limits of on-the-fly compression (compress.go).
const (
	// DefaultCompressCacheBytes bounds the compressed bodies kept in
	// memory, counted by their compressed size.
	DefaultCompressCacheBytes = 16 << 20
	// MaxCompressSize is the largest object compressed on the fly;
	// bigger ones are sent as stored.
	MaxCompressSize = 8 << 20
	// MinCompressSize is the smallest object compressed on the fly:
	// below it the saving does not pay for the work.
	MinCompressSize = 1024
)

// compressKey names one compressed variant of one object version. The
// ETag changes with the content, so an overwritten object never hits an
// old entry.
type compressKey struct {
	bucketID, key, etag, coding string
}

// compressEntry is a cached variant. A nil body records that the coding
// did not make the object smaller: it is then sent as stored.
type compressEntry struct {
	k    compressKey
	body []byte
}

// compressCache is an LRU of compressed bodies bounded in bytes. It is
// safe for concurrent use. Concurrent misses on one key both compress;
// the second result replaces the first.
type compressCache struct {
	mu           sync.Mutex
	limit, size  int64
	lru          *list.List // of *compressEntry, most recently used first
	byKey        map[compressKey]*list.Element
	hits, misses int64
}

func newCompressCache(limit int64) *compressCache {
	return &compressCache{limit: limit, lru: list.New(), byKey: map[compressKey]*list.Element{}}
}

// cost is what an entry counts against the limit: its body plus a fixed
// overhead, so that "not smaller" markers are bounded too.
func (e *compressEntry) cost() int64 {
	return int64(len(e.body)) + int64(len(e.k.bucketID)+len(e.k.key)+len(e.k.etag)+len(e.k.coding)) + 64
}

// get returns the cached body of k; ok is false on a miss.
func (c *compressCache) get(k compressKey) (body []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.lru.MoveToFront(el)
	return el.Value.(*compressEntry).body, true
}

// add stores body under k, evicting the least recently used entries
// beyond the limit. An entry bigger than the whole limit is not kept.
func (c *compressCache) add(k compressKey, body []byte) {
	e := &compressEntry{k: k, body: body}
	if e.cost() > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byKey[k]; ok {
		c.size -= old.Value.(*compressEntry).cost()
		c.lru.Remove(old)
	}
	c.byKey[k] = c.lru.PushFront(e)
	c.size += e.cost()
	for c.size > c.limit {
		last := c.lru.Back()
		le := last.Value.(*compressEntry)
		c.lru.Remove(last)
		delete(c.byKey, le.k)
		c.size -= le.cost()
	}
}

// stats returns the hit and miss counts, the bytes held and the number
// of entries.
func (c *compressCache) stats() (hits, misses, size int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, c.size, c.lru.Len()
}
