package model

import (
	"context"
	"errors"
	"testing"
)

// TestResolveBucketFreshFollowsTheAlias: the bucket read ahead from the
// last resolution is used only while the alias still points to it; a name
// moved to another bucket, or removed, resolves as the alias says.
func TestResolveBucketFreshFollowsTheAlias(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	k, err := e.m.CreateKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	b1, err := e.m.CreateBucket(ctx, "first", k.ID)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := e.m.CreateBucket(ctx, "second", k.ID)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.m.AliasBucket(ctx, b1.ID, "www.example.org"))
	for i := range 2 { // the first resolution leaves a hint, the second uses it
		got, err := e.m.ResolveBucketFresh(ctx, "www.example.org")
		if err != nil || got.ID != b1.ID {
			t.Fatalf("resolution %d: %v %v, want bucket %s", i, got.ID, err, b1.ID)
		}
	}
	if id, ok := e.m.aliasHints.get("www.example.org"); !ok || id != b1.ID {
		t.Fatalf("hint after resolving: %q %v, want %s", id, ok, b1.ID)
	}
	must(e.m.UnaliasBucket(ctx, b1.ID, "www.example.org"))
	must(e.m.AliasBucket(ctx, b2.ID, "www.example.org"))
	got, err := e.m.ResolveBucketFresh(ctx, "www.example.org")
	if err != nil || got.ID != b2.ID {
		t.Fatalf("after the name moved: %v %v, want bucket %s (the hint named %s)", got.ID, err, b2.ID, b1.ID)
	}
	must(e.m.UnaliasBucket(ctx, b2.ID, "www.example.org"))
	if _, err := e.m.ResolveBucketFresh(ctx, "www.example.org"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("after the name was removed: %v, want ErrNoSuchBucket", err)
	}
	if _, ok := e.m.aliasHints.get("www.example.org"); ok {
		t.Fatal("the hint of a removed name is kept")
	}
}
