package model

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/garage-web/garage-web/table/crdt"
)

// TestTagMergeLaws: versions seen with different tag registers (several
// tagging writes, some replicas missing some) merge commutatively,
// associatively and idempotently, and the latest tag stamp wins.
func TestTagMergeLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		h := randHistory(r)
		// Retag some complete versions a few times.
		for _, ev := range h.events {
			if ev.State != StateComplete {
				continue
			}
			for j := r.IntN(4); j > 0; j-- {
				tg := ev
				reg := crdt.NewLWW(ev.TS+uint64(r.IntN(3)), string(rune('a'+r.IntN(3))))
				tg.Tags = &reg
				h.events = append(h.events, tg)
			}
		}
		a, b, c := h.replica(r), h.replica(r), h.replica(r)
		if !sameObject(a.Merge(b), b.Merge(a)) {
			t.Fatalf("not commutative:\n%+v\n%+v", a, b)
		}
		if !sameObject(a.Merge(b).Merge(c), a.Merge(b.Merge(c))) {
			t.Fatalf("not associative:\n%+v\n%+v\n%+v", a, b, c)
		}
		if !sameObject(a.Merge(a), a) {
			t.Fatalf("not idempotent: %+v", a)
		}
		for _, v := range a.Merge(b).Merge(c).Versions {
			if v.State != StateComplete && v.Tags != nil {
				t.Fatalf("marker %s keeps tags", v.UUID)
			}
		}
	}
}

func TestSetObjectTags(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	v1 := put(t, e.m, "b", "k", []byte("one"))
	if _, err := e.m.SetObjectTags(ctx, "b", "missing", "a=1"); !errors.Is(err, ErrNoSuchObject) {
		t.Fatalf("tagging a missing key: %v", err)
	}
	tagged, err := e.m.SetObjectTags(ctx, "b", "k", "a=1")
	if err != nil {
		t.Fatal(err)
	}
	if tagged.UUID != v1.UUID || tagged.Tags == nil || tagged.Tags.TS <= v1.TS {
		t.Fatalf("tagged %+v, after %+v", tagged, v1)
	}
	got, err := e.m.HeadObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if tags, ok := got.TagsChanged(); !ok || tags != "a=1" {
		t.Fatalf("tags %q %v", tags, ok)
	}
	if _, err := e.m.SetObjectTags(ctx, "b", "k", ""); err != nil {
		t.Fatal(err)
	}
	got, _ = e.m.HeadObject(ctx, "b", "k")
	if tags, ok := got.TagsChanged(); !ok || tags != "" {
		t.Fatalf("tags after removal %q %v", tags, ok)
	}
	// A newer PUT is the visible version; a tagging of the older one that
	// arrives late (as a racing write would) does not bring it back.
	v2 := put(t, e.m, "b", "k", []byte("two"))
	late := v1
	reg := crdt.NewLWW(v2.TS+1000, "late=1")
	late.Tags = &reg
	if err := e.m.objects.Insert(ctx, Object{Bucket: "b", Key: "k", Versions: []ObjectVersion{late}}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.m.HeadObject(ctx, "b", "k")
	if got.UUID != v2.UUID {
		t.Fatalf("a late tagging of the old version undid the newer PUT: visible %s, want %s", got.UUID, v2.UUID)
	}
	if _, ok := got.TagsChanged(); ok {
		t.Fatalf("the newer version got the old version's tags: %+v", got.Tags)
	}
}

func TestSetBucketTags(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	b, err := e.m.CreateBucket(ctx, "tagged", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.SetBucketTags(ctx, b.ID, "a=1"); err != nil {
		t.Fatal(err)
	}
	got, err := e.m.GetBucket(ctx, b.ID)
	if err != nil || got.Tags.Value != "a=1" {
		t.Fatalf("bucket tags %q, %v", got.Tags.Value, err)
	}
	if err := e.m.SetBucketTags(ctx, b.ID, ""); err != nil {
		t.Fatal(err)
	}
	got, _ = e.m.GetBucket(ctx, b.ID)
	if got.Tags.Value != "" {
		t.Fatalf("bucket tags after removal %q", got.Tags.Value)
	}
}
