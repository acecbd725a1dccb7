package model

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/storage"
)

// putPart uploads data as part n and returns how to name it in a
// completion.
func putPart(t testing.TB, m *Model, bucket, key, upload string, n int, data []byte) CompletedPart {
	t.Helper()
	sum := md5.Sum(data)
	ref, err := m.PutPart(context.Background(), PutPartInput{BucketID: bucket, Key: key, UploadID: upload, Number: n,
		Body: bytes.NewReader(data), Size: int64(len(data)), Digest: func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }})
	if err != nil {
		t.Fatal(err)
	}
	return CompletedPart{Number: n, ETag: ref.ETag}
}

// partData returns size bytes that differ from one (seed, block) to the
// next, so that no two parts share a block.
func partData(seed, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(seed*131 + i/(64<<10)*17 + i%251)
	}
	return b
}

// collect runs the queue and deletes every block no longer referenced.
func (e testEnv) collect(t testing.TB) {
	t.Helper()
	e.drain(t)
	if _, err := e.refs.Collect(context.Background(), time.Now().Add(time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
}

// readAll reads the visible version of key, checking every byte.
func readAll(t testing.TB, m *Model, bucket, key string) ([]byte, error) {
	t.Helper()
	ctx := context.Background()
	v, err := m.HeadObject(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	r, err := m.Open(ctx, v, 0, v.Meta.Size)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func refused(err error) bool {
	return errors.Is(err, ErrNoSuchUpload) || errors.Is(err, ErrInvalidPart)
}

// TestConcurrentCompletes: two completions of one upload with different
// part lists: one wins, the other is refused, and the object reads back
// whole once unreferenced blocks are collected.
func TestConcurrentCompletes(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	p1, p2 := partData(1, 100<<10), partData(2, 100<<10)
	for i := range 20 {
		key := fmt.Sprint("k", i)
		up, err := e.m.CreateUpload(ctx, "b", key, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		c1 := putPart(t, e.m, "b", key, up, 1, p1)
		c2 := putPart(t, e.m, "b", key, up, 2, p2)
		lists := [][]CompletedPart{{c1, c2}, {c1}}
		vs := make([]ObjectVersion, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				vs[j], errs[j] = e.m.CompleteUpload(ctx, "b", key, up, lists[j], WriteConditions{})
			}()
		}
		wg.Wait()
		var want []byte
		switch {
		case errs[0] == nil && refused(errs[1]):
			want = append(append([]byte{}, p1...), p2...)
		case errs[1] == nil && refused(errs[0]):
			want = p1
		default:
			t.Fatalf("iteration %d: completions answered %v (etag %s) and %v (etag %s); want one success and one refusal",
				i, errs[0], vs[0].Meta.ETag, errs[1], vs[1].Meta.ETag)
		}
		e.collect(t)
		got, err := readAll(t, e.m, "b", key)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("iteration %d: read back %d bytes (want %d): %v", i, len(got), len(want), err)
		}
	}
}

// TestCompleteRacingAbort: a completion and an abort of one upload: one
// of them wins; an acknowledged completion is never undone.
func TestCompleteRacingAbort(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	data := partData(3, 100<<10)
	for i := range 20 {
		key := fmt.Sprint("k", i)
		up, err := e.m.CreateUpload(ctx, "b", key, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		c := putPart(t, e.m, "b", key, up, 1, data)
		var cerr, aerr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, cerr = e.m.CompleteUpload(ctx, "b", key, up, []CompletedPart{c}, WriteConditions{})
		}()
		go func() { defer wg.Done(); aerr = e.m.AbortUpload(ctx, "b", key, up) }()
		wg.Wait()
		e.collect(t)
		got, err := readAll(t, e.m, "b", key)
		switch {
		case cerr == nil && errors.Is(aerr, ErrNoSuchUpload):
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("iteration %d: completed object reads back %d bytes: %v", i, len(got), err)
			}
		case aerr == nil && errors.Is(cerr, ErrNoSuchUpload):
			if !errors.Is(err, ErrNoSuchObject) {
				t.Fatalf("iteration %d: aborted upload left an object: %v", i, err)
			}
		default:
			t.Fatalf("iteration %d: complete answered %v, abort %v; want exactly one to succeed", i, cerr, aerr)
		}
	}
}

// TestCompleteAbortSequences: a repeated completion with the same list
// answers the same version, with another list it is refused; abort after
// completion and completion after abort find no upload.
func TestCompleteAbortSequences(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	up, err := e.m.CreateUpload(ctx, "b", "done", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	c1 := putPart(t, e.m, "b", "done", up, 1, []byte("one"))
	c2 := putPart(t, e.m, "b", "done", up, 2, []byte("two"))
	v, err := e.m.CompleteUpload(ctx, "b", "done", up, []CompletedPart{c1, c2}, WriteConditions{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.m.CompleteUpload(ctx, "b", "done", up, []CompletedPart{c1, c2}, WriteConditions{})
	if err != nil {
		t.Fatalf("repeated completion with the same list: %v", err)
	}
	if again.Meta.ETag != v.Meta.ETag {
		t.Fatalf("repeated completion: etag %q, want %q", again.Meta.ETag, v.Meta.ETag)
	}
	if _, err := e.m.CompleteUpload(ctx, "b", "done", up, []CompletedPart{c1}, WriteConditions{}); !refused(err) {
		t.Fatalf("completion with another list: %v", err)
	}
	if err := e.m.AbortUpload(ctx, "b", "done", up); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("abort after completion: %v", err)
	}
	if got, err := readAll(t, e.m, "b", "done"); err != nil || string(got) != "onetwo" {
		t.Fatalf("object after abort attempt: %q, %v", got, err)
	}
	up2, err := e.m.CreateUpload(ctx, "b", "aborted", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	c := putPart(t, e.m, "b", "aborted", up2, 1, []byte("x"))
	if err := e.m.AbortUpload(ctx, "b", "aborted", up2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.CompleteUpload(ctx, "b", "aborted", up2, []CompletedPart{c}, WriteConditions{}); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("completion after abort: %v", err)
	}
}

// TestPartUploadedTwice: the blocks of a part number uploaded again are
// released; the completed object reads back whole.
func TestPartUploadedTwice(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	up, err := e.m.CreateUpload(ctx, "b", "k", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	old, p1, p2 := partData(10, 130<<10), partData(11, 130<<10), partData(12, 70<<10)
	putPart(t, e.m, "b", "k", up, 1, old)
	c1 := putPart(t, e.m, "b", "k", up, 1, p1)
	c2 := putPart(t, e.m, "b", "k", up, 2, p2)
	if _, err := e.m.CompleteUpload(ctx, "b", "k", up, []CompletedPart{c1, c2}, WriteConditions{}); err != nil {
		t.Fatal(err)
	}
	e.collect(t)
	for off := 0; off < len(old); off += 64 << 10 {
		blk := old[off:min(off+64<<10, len(old))]
		if c, _ := e.refs.Count(storage.HashOf(blk)); c != 0 {
			t.Fatalf("block at %d of the replaced part still referenced %d times", off, c)
		}
	}
	got, err := readAll(t, e.m, "b", "k")
	want := append(append([]byte{}, p1...), p2...)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes (want %d): %v", len(got), len(want), err)
	}
}
