package storage

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func mustRefCounts(t *testing.T) (*RefCounts, *DB, *BlockStore) {
	t.Helper()
	db, err := OpenDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := OpenBlockStore(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := NewRefCounts(db, bs)
	if err != nil {
		t.Fatal(err)
	}
	return rc, db, bs
}

func TestAddQueuesResyncWhenCountLeavesZero(t *testing.T) {
	rc, db, _ := mustRefCounts(t)
	h := HashOf([]byte("x"))
	now := time.Now()
	add := func(delta int) {
		t.Helper()
		if err := db.Update(func(tx *bolt.Tx) error { return rc.Add(tx, h, delta, 1, now) }); err != nil {
			t.Fatal(err)
		}
	}
	add(1)
	items, err := rc.DueResync(now, 10)
	if err != nil || len(items) != 1 || items[0].Hash != h {
		t.Fatalf("due after the first reference: %v, %v", items, err)
	}
	if err := rc.ResyncDone(h, now); err != nil {
		t.Fatal(err)
	}
	add(1) // 1 → 2: nothing new to fetch
	if n, _ := rc.ResyncLen(); n != 0 {
		t.Fatalf("queue length %d after a second reference", n)
	}
	at, err := rc.ResyncRetry(h, now.Add(time.Minute))
	if err != nil || at != 1 {
		t.Fatalf("retry: %d, %v", at, err)
	}
	if items, _ := rc.DueResync(now, 10); len(items) != 0 {
		t.Fatal("a block due later is due now")
	}
	if next, ok, _ := rc.NextResync(); !ok || next.UnixMilli() != now.Add(time.Minute).UnixMilli() {
		t.Fatalf("next resync %v %v", next, ok)
	}
}

func TestSetCountIfIsACompareAndSet(t *testing.T) {
	rc, _, _ := mustRefCounts(t)
	h := HashOf([]byte("y"))
	now := time.Now()
	if ok, err := rc.SetCountIf(h, 0, 3, now); !ok || err != nil {
		t.Fatalf("set 0→3: %v %v", ok, err)
	}
	if ok, _ := rc.SetCountIf(h, 1, 0, now); ok {
		t.Fatal("set from a stale count")
	}
	if ok, _ := rc.SetCountIf(h, 3, 0, now); !ok {
		t.Fatal("set 3→0 refused")
	}
	info, _ := rc.Info(h)
	if !info.Known || info.Count != 0 || info.UnusedSince.UnixMilli() != now.UnixMilli() {
		t.Fatalf("info %+v", info)
	}
	if b, _, _ := rc.Stats(); b != 0 {
		t.Fatalf("%d blocks in use after recount to zero", b)
	}
}

func TestScrubMovesCorruptAside(t *testing.T) {
	_, _, bs := mustRefCounts(t)
	h, err := bs.Write(context.Background(), []byte("scrub me"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.Quarantine(h); err != nil {
		t.Fatal(err)
	}
	if bs.Has(h) {
		t.Fatal("quarantined block still there")
	}
	if err := bs.Quarantine(h); err != nil {
		t.Fatalf("quarantine of a missing block: %v", err)
	}
	checked, corrupted, err := bs.Scrub(context.Background(), nil)
	if err != nil || checked != 0 || corrupted != 0 {
		t.Fatalf("scrub %d %d %v", checked, corrupted, err)
	}
}
