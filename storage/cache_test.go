package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

func TestBlockCache(t *testing.T) {
	ctx := context.Background()
	s := mustBlockStore(t, 0)
	s.SetCacheSize(4 << 10)
	a := bytes.Repeat([]byte("a"), 1000)
	h, err := s.Write(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	read := func() ([]byte, error) {
		data, release, err := s.ReadPooled(ctx, h)
		if err != nil {
			return nil, err
		}
		defer release()
		return bytes.Clone(data), nil
	}
	// First read: remembered, not cached. Second: cached.
	for i := 0; i < 2; i++ {
		if got, err := read(); err != nil || !bytes.Equal(got, a) {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if _, ok := s.cache.get(h); !ok {
		t.Fatal("a block read twice is not cached")
	}
	// Served from memory even if the file goes away or rots...
	raw, _ := os.ReadFile(s.path(h))
	raw[0] ^= 1
	os.WriteFile(s.path(h), raw, 0o600)
	if got, err := read(); err != nil || !bytes.Equal(got, a) {
		t.Fatalf("cached read: %v", err)
	}
	// ...but a scrub reads the disk and finds the corruption.
	if _, bad, err := s.Scrub(ctx, nil); err != nil || bad != 1 {
		t.Fatalf("scrub found %d corrupted, err %v", bad, err)
	}
	// Deleting the block drops it from the cache.
	s.cache.remove(h)
	if _, err := read(); !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("read after removal: %v", err)
	}
	// Eviction keeps the cache within its size.
	for i := 0; i < 20; i++ {
		b := bytes.Repeat([]byte{byte(i)}, 900)
		hb, _ := s.Write(ctx, b)
		for j := 0; j < 2; j++ {
			if _, release, err := s.ReadPooled(ctx, hb); err == nil {
				release()
			}
		}
	}
	if s.cache.used > 4<<10 {
		t.Fatalf("cache holds %d bytes, more than its 4 KiB", s.cache.used)
	}
}

// A full block admitted to the cache keeps its read buffer: that buffer
// must leave the pool, or a later read would overwrite the cached block.
func TestBlockCacheAdoptsBuffer(t *testing.T) {
	ctx := context.Background()
	s := mustBlockStore(t, 0)
	s.SetCacheSize(8 << 20)
	mk := func(b byte) []byte { return bytes.Repeat([]byte{b}, pooledBlockSize) }
	a, b := mk('a'), mk('b')
	ha, err := s.Write(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := s.Write(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []Hash{ha, ha, hb, hb, hb} { // a admitted; b admitted and then hit
		data, release, err := s.ReadPooled(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		release()
		_ = data
	}
	for h, want := range map[Hash][]byte{ha: a, hb: b} {
		got, ok := s.cache.get(h)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("cached block %s: present %v, intact %v", h, ok, bytes.Equal(got, want))
		}
	}
	if s.cache.used != 2*pooledBlockSize {
		t.Fatalf("cache accounts %d bytes, want %d", s.cache.used, 2*pooledBlockSize)
	}
}

// The admission filter remembers first reads of at most missBytesFactor
// times the cache's size: a block read again after that many bytes of
// other first reads is not admitted, one read again sooner is.
func TestBlockCacheAdmissionWindowIsBytes(t *testing.T) {
	const block = 1 << 10
	c := newBlockCache(4 * block)
	buf := make([]byte, block)
	hashOf := func(i int) Hash { var h Hash; h[0], h[1] = byte(i), byte(i>>8); return h }
	for i := 0; i < 100; i++ {
		c.offer(hashOf(i), buf)
		if c.missedBytes > missBytesFactor*c.max || c.missedN > missMemory {
			t.Fatalf("after %d first reads the filter remembers %d entries, %d bytes", i+1, c.missedN, c.missedBytes)
		}
	}
	if c.missedN != missBytesFactor*4 {
		t.Fatalf("filter remembers %d first reads, want %d", c.missedN, missBytesFactor*4)
	}
	// Block 0 was forgotten long ago: its second read is a first read.
	if c.offer(hashOf(0), bytes.Clone(buf)); len(c.items) != 0 {
		t.Fatal("a block read again after 25 cache-fulls of other reads was admitted")
	}
	// Block 99 was read just before: admitted.
	c.offer(hashOf(99), bytes.Clone(buf))
	if _, ok := c.get(hashOf(99)); !ok {
		t.Fatal("a block read twice in a row was not admitted")
	}
	// The filter's byte count stays the sum of what it remembers.
	var sum int64
	for _, n := range c.missed {
		sum += n
	}
	if sum != c.missedBytes {
		t.Fatalf("filter counts %d bytes, holds %d", c.missedBytes, sum)
	}
}
