package model

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestKeyNamesUnique(t *testing.T) {
	ctx := context.Background()
	m := newTestModel(t).m
	a, err := m.CreateKeyUnique(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateKeyUnique(ctx, "alice"); !errors.Is(err, ErrKeyNameInUse) {
		t.Fatalf("second key named alice: %v, want ErrKeyNameInUse", err)
	}
	if _, err := m.ImportKeyUnique(ctx, "GK0123456789abcdef01234567", fakeSecret, "alice"); !errors.Is(err, ErrKeyNameInUse) {
		t.Fatalf("imported key named alice: %v, want ErrKeyNameInUse", err)
	}
	b, err := m.CreateKeyUnique(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RenameKeyUnique(ctx, b.ID, "alice"); !errors.Is(err, ErrKeyNameInUse) {
		t.Fatalf("rename bob to alice: %v, want ErrKeyNameInUse", err)
	}
	if k, err := m.RenameKeyUnique(ctx, a.ID, "alice"); err != nil || k.Name.Value != "alice" {
		t.Fatalf("renaming a key to its own name: %+v, %v", k, err)
	}
	// Without the check (the callers' force), a second name is allowed.
	if _, err := m.CreateKey(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	// No name is never a conflict.
	for range 2 {
		if _, err := m.CreateKeyUnique(ctx, ""); err != nil {
			t.Fatalf("unnamed key: %v", err)
		}
	}
	// A deleted key's name is free again.
	if err := m.DeleteKey(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateKeyUnique(ctx, "bob"); err != nil {
		t.Fatalf("name of a deleted key: %v", err)
	}
	if _, err := m.ImportKeyUnique(ctx, "GK0123456789abcdef01234567", fakeSecret, "carol"); err != nil {
		t.Fatal(err)
	}
}

const fakeSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestKeyNameRace: 16 concurrent creations and renames to one name leave
// exactly one key with it.
func TestKeyNameRace(t *testing.T) {
	ctx := context.Background()
	m := newTestModel(t).m
	var others []Key
	for range 8 {
		k, err := m.CreateKeyUnique(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, k)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = m.CreateKeyUnique(ctx, "shared")
			} else {
				_, err = m.RenameKeyUnique(ctx, others[i/2].ID, "shared")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrKeyNameInUse):
			t.Errorf("unexpected error: %v", err)
		}
	}
	keys, err := m.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, k := range keys {
		if k.Name.Value == "shared" {
			named++
		}
	}
	if won != 1 || named != 1 {
		t.Fatalf("%d writes won, %d keys named shared; want 1 and 1", won, named)
	}
}
