package storage

import (
	"bytes"
	"container/list"
	"sync"
)

// blockCache keeps recently read, verified blocks in memory, up to a
// number of bytes, least recently used out first. A block is admitted on
// its second read within the recent past (a small ring of missed hashes
// remembers the first), so one pass over a large object does not flush
// the blocks that are read again and again (a website's pages and assets).
//
// The recent past is the last missMemory first reads, and no more of
// them than missBytesFactor times the cache's size in bytes: a block
// read twice while four cache-fulls of other blocks were read once is
// not hot enough to evict one that is. Without the byte bound, random
// reads over a gigabyte of 1 MiB blocks (1,000 of them, all within the
// ring) admitted a block on nearly every read, evicting another: the
// cache hit ~1 % of reads and made 1 MiB of garbage per read.
type blockCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // of *cacheItem, most recent first
	items map[Hash]*list.Element

	missed      map[Hash]int64 // blocks read once recently, and their sizes
	missedLog   []Hash         // ring of the same, oldest at missedAt
	missedAt    int
	missedN     int   // entries in the ring
	missedBytes int64 // sum of their sizes
}

type cacheItem struct {
	h    Hash
	data []byte
}

// missMemory is how many first reads the admission filter remembers, and
// missBytesFactor how many times the cache's size they may add up to.
const (
	missMemory      = 1024
	missBytesFactor = 4
)

func newBlockCache(max int64) *blockCache {
	return &blockCache{max: max, order: list.New(), items: map[Hash]*list.Element{},
		missed: map[Hash]int64{}, missedLog: make([]Hash, missMemory)}
}

// rememberMiss records a first read of h (size bytes), forgetting the
// oldest ones beyond missMemory entries or missBytesFactor*max bytes.
func (c *blockCache) rememberMiss(h Hash, size int64) {
	for c.missedN > 0 && (c.missedN == len(c.missedLog) || c.missedBytes+size > missBytesFactor*c.max) {
		old := c.missedLog[c.missedAt]
		c.missedBytes -= c.missed[old]
		delete(c.missed, old)
		c.missedAt = (c.missedAt + 1) % len(c.missedLog)
		c.missedN--
	}
	c.missedLog[(c.missedAt+c.missedN)%len(c.missedLog)] = h
	c.missedN++
	c.missed[h] = size
	c.missedBytes += size
}

// get returns a cached block. The slice must not be modified.
func (c *blockCache) get(h Hash) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[h]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheItem).data, true
}

// offer considers a verified block just read from disk for caching. When
// the cache keeps data's own buffer (mostly full, so not worth a copy) it
// returns true: the caller must then not reuse the buffer (it may still
// read data; cached slices are never modified).
func (c *blockCache) offer(h Hash, data []byte) (adopted bool) {
	if int64(len(data)) > c.max/4 {
		return false // too large to share the cache fairly
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[h]; ok {
		return false
	}
	if _, again := c.missed[h]; !again {
		c.rememberMiss(h, int64(len(data)))
		return false
	}
	c.missedBytes -= c.missed[h] // its ring slot, when it expires, finds nothing
	delete(c.missed, h)
	kept := data
	if adopted = 2*len(data) >= cap(data); !adopted {
		kept = bytes.Clone(data)
	}
	c.items[h] = c.order.PushFront(&cacheItem{h: h, data: kept})
	c.used += int64(cap(kept))
	for c.used > c.max {
		last := c.order.Back()
		it := last.Value.(*cacheItem)
		c.order.Remove(last)
		delete(c.items, it.h)
		c.used -= int64(cap(it.data))
	}
	return adopted
}

// remove drops a block (deleted or set aside).
func (c *blockCache) remove(h Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[h]; ok {
		c.order.Remove(e)
		delete(c.items, h)
		c.used -= int64(cap(e.Value.(*cacheItem).data))
	}
}
