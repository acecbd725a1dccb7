package autotls

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"
)

func mustStore(t testing.TB, s *Storage, key, value string) {
	t.Helper()
	if err := s.Store(context.Background(), key, []byte(value)); err != nil {
		t.Fatalf("Store(%q): %v", key, err)
	}
}

func TestStorageFiles(t *testing.T) {
	ctx := context.Background()
	s := NewStorage(mustModel(t), "node-a", StorageOptions{})

	if _, err := s.Load(ctx, "certificates/x/x.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing key: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Stat(ctx, "certificates"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of a missing key: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.List(ctx, "certificates", true); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("List of a missing directory: %v, want fs.ErrNotExist", err)
	}
	if s.Exists(ctx, "certificates") {
		t.Fatal("Exists on an empty storage")
	}
	if err := s.Delete(ctx, "certificates/none"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}

	before := time.Now().Add(-time.Second)
	files := map[string]string{
		"certificates/acme/a.example.com/a.example.com.crt":  "CERT A",
		"certificates/acme/a.example.com/a.example.com.key":  "KEY A",
		"certificates/acme/a.example.com/a.example.com.json": "{}",
		"certificates/acme/b.example.com/b.example.com.crt":  "CERT B",
		"certificates/acmeother/c.crt":                       "C", // "acme" is not its prefix
		"acme/ca/users/x/x.key":                              "ACCOUNT KEY",
		"empty":                                              "",
	}
	for k, v := range files {
		mustStore(t, s, k, v)
	}
	for k, v := range files {
		got, err := s.Load(ctx, k)
		if err != nil || string(got) != v {
			t.Errorf("Load(%q) = %q, %v; want %q", k, got, err, v)
		}
	}
	mustStore(t, s, "certificates/acme/b.example.com/b.example.com.crt", "CERT B2")
	if got, _ := s.Load(ctx, "certificates/acme/b.example.com/b.example.com.crt"); string(got) != "CERT B2" {
		t.Errorf("after overwrite: %q", got)
	}

	ki, err := s.Stat(ctx, "certificates/acme/a.example.com/a.example.com.crt")
	if err != nil || !ki.IsTerminal || ki.Size != 6 || ki.Modified.Before(before) || ki.Modified.After(time.Now().Add(time.Second)) {
		t.Errorf("Stat(file) = %+v, %v", ki, err)
	}
	ki, err = s.Stat(ctx, "certificates/acme")
	if err != nil || ki.IsTerminal || ki.Key != "certificates/acme" {
		t.Errorf("Stat(dir) = %+v, %v", ki, err)
	}
	if ki, err := s.Stat(ctx, "empty"); err != nil || !ki.IsTerminal || ki.Size != 0 {
		t.Errorf("Stat(empty file) = %+v, %v", ki, err)
	}
	for _, k := range []string{"certificates", "certificates/acme/a.example.com", "empty", "acme/ca"} {
		if !s.Exists(ctx, k) {
			t.Errorf("Exists(%q) = false", k)
		}
	}
	for _, k := range []string{"certificates/acm", "certificates/acme/a.example.co", "acme/ca/users/x/x.key/more"} {
		if s.Exists(ctx, k) {
			t.Errorf("Exists(%q) = true", k)
		}
	}

	list := func(dir string, recursive bool) []string {
		t.Helper()
		got, err := s.List(ctx, dir, recursive)
		if err != nil {
			t.Fatalf("List(%q, %v): %v", dir, recursive, err)
		}
		slices.Sort(got)
		return got
	}
	if got, want := list("certificates", false), []string{"certificates/acme", "certificates/acmeother"}; !slices.Equal(got, want) {
		t.Errorf("List(certificates) = %q, want %q", got, want)
	}
	if got, want := list("certificates/acme", false), []string{"certificates/acme/a.example.com", "certificates/acme/b.example.com"}; !slices.Equal(got, want) {
		t.Errorf("List(certificates/acme) = %q, want %q", got, want)
	}
	wantRec := []string{
		"certificates/acme",
		"certificates/acme/a.example.com",
		"certificates/acme/a.example.com/a.example.com.crt",
		"certificates/acme/a.example.com/a.example.com.json",
		"certificates/acme/a.example.com/a.example.com.key",
		"certificates/acme/b.example.com",
		"certificates/acme/b.example.com/b.example.com.crt",
		"certificates/acmeother",
		"certificates/acmeother/c.crt",
	}
	if got := list("certificates", true); !slices.Equal(got, wantRec) {
		t.Errorf("List(certificates, recursive) =\n%q\nwant\n%q", got, wantRec)
	}
	if got := list("", false); !slices.Equal(got, []string{"acme", "certificates", "empty"}) {
		t.Errorf("List(root) = %q", got)
	}

	// Deleting a directory deletes what is under it, not its namesakes.
	if err := s.Delete(ctx, "certificates/acme"); err != nil {
		t.Fatal(err)
	}
	if s.Exists(ctx, "certificates/acme") || s.Exists(ctx, "certificates/acme/a.example.com/a.example.com.key") {
		t.Error("certificates/acme still exists after Delete")
	}
	if got, _ := s.Load(ctx, "certificates/acmeother/c.crt"); string(got) != "C" {
		t.Errorf("Delete(certificates/acme) removed certificates/acmeother/c.crt")
	}
	if err := s.Delete(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "empty"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after Delete: %v, want fs.ErrNotExist", err)
	}
	// A file stored again after its deletion is back.
	mustStore(t, s, "empty", "again")
	if got, err := s.Load(ctx, "empty"); err != nil || string(got) != "again" {
		t.Errorf("Load after re-Store = %q, %v", got, err)
	}
}

// Every node of a cluster sees the same files: what one node stores,
// another loads; what one deletes is gone for all.
func TestStorageSharedByNodes(t *testing.T) {
	ctx := context.Background()
	ms := mustCluster(t, 3)
	a := NewStorage(ms[0], "a", StorageOptions{})
	b := NewStorage(ms[1], "b", StorageOptions{})
	c := NewStorage(ms[2], "c", StorageOptions{})
	pem := bytes.Repeat([]byte("-----BEGIN CERTIFICATE-----\n"), 100)
	if err := a.Store(ctx, "certificates/ca/site/site.crt", pem); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Storage{b, c} {
		got, err := s.Load(ctx, "certificates/ca/site/site.crt")
		if err != nil || !bytes.Equal(got, pem) {
			t.Errorf("%s: Load = %d bytes, %v", s, len(got), err)
		}
	}
	if err := c.Delete(ctx, "certificates/ca/site"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Storage{a, b} {
		if _, err := s.Load(ctx, "certificates/ca/site/site.crt"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: Load after another node's Delete: %v, want fs.ErrNotExist", s, err)
		}
	}
}
