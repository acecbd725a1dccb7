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
