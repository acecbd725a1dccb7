package model

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestEmptyBucket(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	b, err := e.m.CreateBucket(ctx, "full", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		put(t, e.m, b.ID, fmt.Sprintf("k%02d", i), []byte("body"))
	}
	if _, err := e.m.CreateUpload(ctx, b.ID, "pending", nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.m.DeleteBucket(ctx, b.ID); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket of a full bucket: %v, want ErrBucketNotEmpty", err)
	}
	total, calls := 0, 0
	for {
		n, more, err := e.m.EmptyBucket(ctx, b.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		calls++
		if n > 10 {
			t.Fatalf("one call deleted %d objects, limit 10", n)
		}
		if !more {
			break
		}
		if calls > 5 {
			t.Fatalf("still more after %d calls (%d deleted)", calls, total)
		}
	}
	if total != 25 || calls != 3 {
		t.Errorf("deleted %d objects in %d calls, want 25 in 3", total, calls)
	}
	ups, err := e.m.ListUploads(ctx, ListUploadsInput{BucketID: b.ID, MaxUploads: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d uploads left after emptying, want 0", len(ups.Uploads))
	}
	if err := e.m.DeleteBucket(ctx, b.ID); err != nil {
		t.Fatalf("DeleteBucket after emptying: %v", err)
	}
}
