package model

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestSweepDeletedBucket plays the PUT that resolved its bucket before
// DeleteBucket and commits after it: the sweep removes the object, so the
// deleted bucket leaves no live object in the store.
func TestSweepDeletedBucket(t *testing.T) {
	ctx := context.Background()
	env := newTestModel(t)
	m := env.m
	b, err := m.CreateBucket(ctx, "racing", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteBucket(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"late-small", "late-large"} {
		body := bytes.Repeat([]byte("x"), map[string]int{"late-small": 10, "late-large": 200 << 10}[key])
		if _, err := m.PutObject(ctx, PutObjectInput{BucketID: b.ID, Key: key, Body: bytes.NewReader(body), Size: int64(len(body)),
			Digest: func() (string, map[string]string) { return "", nil }}); err != nil {
			t.Fatal(err)
		}
	}
	if empty, err := m.IsEmpty(ctx, b.ID); err != nil || empty {
		t.Fatalf("the late PUTs left nothing (%v, %v): the test does not test the sweep", empty, err)
	}
	n, err := m.SweepDeletedBucket(ctx, b.ID)
	if err != nil || n != 2 {
		t.Fatalf("sweep: %d objects, %v; want 2", n, err)
	}
	if empty, err := m.IsEmpty(ctx, b.ID); err != nil || !empty {
		t.Fatalf("after the sweep: empty %v, %v", empty, err)
	}
	if _, err := m.GetBucket(ctx, b.ID); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("the swept bucket: %v, want ErrNoSuchBucket", err)
	}
}
