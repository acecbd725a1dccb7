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
