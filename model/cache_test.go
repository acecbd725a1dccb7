package model

import (
	"context"
	"testing"
	"time"
)

func TestTTLCacheExpires(t *testing.T) {
	var c ttlCache[int]
	t0 := time.Now()
	c.put("a", 1, t0, c.generation())
	if v, ok, _ := c.get("a", t0.Add(metaCacheTTL/4)); !ok || v != 1 {
		t.Fatal("fresh entry not found")
	}
	if _, ok, _ := c.get("a", t0.Add(metaCacheTTL+time.Millisecond)); ok {
		t.Fatal("expired entry returned")
	}
}

// TestTTLCacheRefreshAhead: past half its life an entry asks one caller
// to refresh it; the refresh replaces it with a later fetch time, and an
// entry whose refresh failed still expires on time and may be tried again.
func TestTTLCacheRefreshAhead(t *testing.T) {
	var c ttlCache[int]
	t0 := time.Now()
	c.put("a", 1, t0, c.generation())
	if _, _, refresh := c.get("a", t0.Add(metaCacheRefreshAfter/2)); refresh {
		t.Fatal("a young entry asks for a refresh")
	}
	half := t0.Add(metaCacheRefreshAfter + time.Millisecond)
	if v, ok, refresh := c.get("a", half); !ok || v != 1 || !refresh {
		t.Fatalf("past half its life: %d %v refresh %v, want 1 true true", v, ok, refresh)
	}
	if _, ok, refresh := c.get("a", half); !ok || refresh {
		t.Fatalf("second hit during the refresh: ok %v refresh %v, want true false", ok, refresh)
	}
	c.refreshFailed("a")
	if _, _, refresh := c.get("a", half); !refresh {
		t.Fatal("after a failed refresh, the next hit does not try again")
	}
	if _, ok, _ := c.get("a", t0.Add(metaCacheTTL+time.Millisecond)); ok {
		t.Fatal("an entry whose refresh failed outlives its TTL")
	}
	c.put("a", 2, half, c.generation())
	if v, ok, refresh := c.get("a", t0.Add(metaCacheTTL+time.Millisecond)); !ok || v != 2 || refresh {
		t.Fatalf("refreshed entry: %d %v refresh %v, want 2 true false", v, ok, refresh)
	}
}

// TestTTLCacheClearWins: a read that began before a clear (a write
// through this node) stores nothing, so it cannot bring back the value the
// write replaced; neither can it drop an entry stored after the clear.
func TestTTLCacheClearWins(t *testing.T) {
	var c ttlCache[int]
	now := time.Now()
	gen := c.generation()
	c.clear()
	c.put("a", 1, now, gen)
	if _, ok, _ := c.get("a", now); ok {
		t.Fatal("a read begun before the clear stored its value")
	}
	c.put("a", 2, now, c.generation())
	c.drop("a", gen)
	if v, ok, _ := c.get("a", now); !ok || v != 2 {
		t.Fatalf("a stale drop removed a newer entry: %d %v", v, ok)
	}
	c.drop("a", c.generation())
	if _, ok, _ := c.get("a", now); ok {
		t.Fatal("drop left the entry")
	}
}

// TestKeyCacheRefreshSeesRevocation: a key in steady use is refreshed in
// the background; a refresh that finds the key deleted (on a replica, as
// if through another node) drops it from the cache.
func TestKeyCacheRefreshSeesRevocation(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	k, err := e.m.CreateKey(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.GetKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	// Delete the key behind the cache's back: the table's hook clears
	// the cache on this node, so put the old entry back, aged past half
	// its life, as a node that is not a replica of the keys would hold it.
	if err := e.m.DeleteKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	e.m.keyCache.put(k.ID, k, time.Now().Add(-metaCacheRefreshAfter-10*time.Millisecond), e.m.keyCache.generation())
	if _, err := e.m.GetKey(ctx, k.ID); err != nil {
		t.Fatalf("the cached key (within its TTL) was not served: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok, _ := e.m.keyCache.get(k.ID, time.Now()); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background refresh did not drop the deleted key within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := e.m.GetKey(ctx, k.ID); err == nil {
		t.Fatal("deleted key still found after the refresh")
	}
}
