package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func mustBlockStore(t testing.TB, level int) *BlockStore {
	t.Helper()
	s, err := OpenBlockStore(t.TempDir(), level)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBlockRoundTripAndCorruption(t *testing.T) {
	ctx := context.Background()
	for _, level := range []int{0, 3} {
		s := mustBlockStore(t, level)
		var corrupted []Hash
		s.OnCorrupt = func(h Hash) { corrupted = append(corrupted, h) }
		data := bytes.Repeat([]byte("garage-web "), 10000) // compressible
		h, err := s.Write(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		if h != HashOf(data) {
			t.Fatalf("level %d: hash %s, want %s", level, h, HashOf(data))
		}
		got, err := s.Read(ctx, h)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("level %d: read back %d bytes, err %v", level, len(got), err)
		}
		// Rewriting the same block is a no-op that succeeds.
		if _, err := s.Write(ctx, data); err != nil {
			t.Fatal(err)
		}
		path := s.path(h)
		if level > 0 {
			path += compressedSuffix
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("level %d: block file: %v", level, err)
		}
		if level > 0 && len(raw) >= len(data) {
			t.Fatalf("level %d: compressed file is %d bytes for %d", level, len(raw), len(data))
		}
		raw[len(raw)/2] ^= 0x40
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(ctx, h); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("level %d: corrupted read: err = %v, want ErrCorrupt", level, err)
		}
		if len(corrupted) != 1 || corrupted[0] != h {
			t.Fatalf("level %d: OnCorrupt calls %v", level, corrupted)
		}
		checked, bad, err := s.Scrub(ctx, nil)
		if err != nil || checked != 1 || bad != 1 {
			t.Fatalf("scrub: checked %d corrupted %d err %v", checked, bad, err)
		}
		if _, err := s.Read(ctx, h); !errors.Is(err, ErrBlockNotFound) {
			t.Fatalf("after scrub the corrupted block must be set aside: %v", err)
		}
	}
}

func TestMissingBlock(t *testing.T) {
	s := mustBlockStore(t, 0)
	if _, err := s.Read(context.Background(), HashOf([]byte("nope"))); !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func TestCollectDeletesOnlyIdleUnreferencedBlocks(t *testing.T) {
	ctx := context.Background()
	db, err := OpenDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := mustBlockStore(t, 0)
	rc, err := NewRefCounts(db, s)
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := s.Write(ctx, []byte("still used"))
	freed, _ := s.Write(ctx, []byte("no longer used"))
	reused, _ := s.Write(ctx, []byte("used again"))
	t0 := time.Now()
	add := func(h Hash, d int, at time.Time) {
		t.Helper()
		if err := db.Update(func(tx *bolt.Tx) error { return rc.Add(tx, h, d, 10, at) }); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []Hash{kept, freed, reused} {
		add(h, 1, t0)
	}
	old := t0.Add(-time.Hour)
	add(kept, 1, old)
	add(kept, -1, old)
	add(freed, -1, old)
	add(reused, -1, old)
	for _, h := range []Hash{kept, freed, reused} {
		os.Chtimes(s.path(h), old, old)
	}
	// A concurrent upload writes "used again" once more: its file is fresh.
	if _, err := s.Write(ctx, []byte("used again")); err != nil {
		t.Fatal(err)
	}
	// Too early: nothing goes.
	if n, err := rc.Collect(ctx, time.Now(), 2*time.Hour); err != nil || n != 0 {
		t.Fatalf("early collect: n=%d err=%v", n, err)
	}
	n, err := rc.Collect(ctx, time.Now(), 10*time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("collect: n=%d err=%v, want 1", n, err)
	}
	if !s.Has(kept) || s.Has(freed) || !s.Has(reused) {
		t.Fatalf("after collect: kept=%v freed=%v reused=%v, want true false true", s.Has(kept), s.Has(freed), s.Has(reused))
	}
	if c, _ := rc.Count(kept); c != 1 {
		t.Fatalf("count of kept block = %d", c)
	}
	if blocks, bytes, _ := rc.Stats(); blocks != 1 || bytes != 10 {
		t.Fatalf("stats: %d blocks, %d bytes; want 1, 10", blocks, bytes)
	}
}
