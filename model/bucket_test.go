package model

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestConcurrentCreateBucket: of 16 concurrent creations of one name,
// exactly one succeeds and one bucket exists.
func TestConcurrentCreateBucket(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	k, err := e.m.CreateKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := ""
			if i%2 == 0 {
				owner = k.ID
			}
			_, errs[i] = e.m.CreateBucket(ctx, "same", owner)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrBucketExists):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	bs, err := e.m.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 1 || len(bs) != 1 {
		t.Fatalf("%d creations succeeded, %d buckets exist; want 1 and 1", ok, len(bs))
	}
	if _, err := e.m.CreateBucket(ctx, "mine", k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.CreateBucket(ctx, "mine", k.ID); !errors.Is(err, ErrBucketOwnedByYou) {
		t.Fatalf("owner creating its bucket again: %v, want ErrBucketOwnedByYou", err)
	}
	if _, err := e.m.CreateBucket(ctx, "mine", ""); !errors.Is(err, ErrBucketExists) || errors.Is(err, ErrBucketOwnedByYou) {
		t.Fatalf("another caller creating the name: %v, want ErrBucketExists only", err)
	}
}
