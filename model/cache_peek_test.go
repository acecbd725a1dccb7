package model

import (
	"context"
	"testing"
)

// TestCachedBucket: the cache peek sees what ResolveBucket cached and
// nothing once a write through this node cleared it.
func TestCachedBucket(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	k, err := e.m.CreateKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.m.CreateBucket(ctx, "peek", k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.m.CachedBucket("nope"); ok {
		t.Fatal("an unknown bucket is cached")
	}
	if _, err := e.m.ResolveBucket(ctx, "peek"); err != nil {
		t.Fatal(err)
	}
	if got, ok := e.m.CachedBucket("peek"); !ok || got.ID != b.ID {
		t.Fatalf("after ResolveBucket: %+v %v", got, ok)
	}
	if err := e.m.SetWebsite(ctx, b.ID, &WebsiteConfig{IndexDocument: "index.html"}); err != nil {
		t.Fatal(err)
	}
	if got, ok := e.m.CachedBucket("peek"); ok {
		t.Fatalf("after a write the old bucket is still cached: %+v", got)
	}
}
