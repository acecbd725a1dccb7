package model

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"
)

// TestPutAfterRestartWithClockBehind: a node restarted with its wall
// clock a minute behind still stamps a new PUT after the one it replaces.
func TestPutAfterRestartWithClockBehind(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openTestModel(t, dir, nil)
	put(t, e.m, "b", "k", []byte("first"))
	e.close()
	behind := func() time.Time { return time.Now().Add(-time.Minute) }
	e = openTestModel(t, dir, behind)
	put(t, e.m, "b", "k", []byte("second"))
	v, err := e.m.HeadObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(v.Data.Inline); got != "second" {
		t.Fatalf("GET after restart returns %q, want the acknowledged newer %q", got, "second")
	}
}

// gatedReader returns the first gateAt bytes of data, then signals
// reached and waits for release before returning the rest.
type gatedReader struct {
	data    []byte
	gateAt  int
	pos     int
	reached chan struct{}
	release chan struct{}
	passed  bool
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.pos == g.gateAt && !g.passed {
		g.passed = true
		close(g.reached)
		<-g.release
	}
	if g.pos >= len(g.data) {
		return 0, io.EOF
	}
	end := len(g.data)
	if g.pos < g.gateAt {
		end = g.gateAt
	}
	n := copy(p, g.data[g.pos:end])
	g.pos += n
	return n, nil
}

// TestLastFinishedPutWins: of two concurrent PUTs of one key, the one that
// completes last wins, even if it started first (small, one-block and
// block-list objects).
func TestLastFinishedPutWins(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	for _, size := range []int{20, 40 << 10, 200 << 10} {
		key := "k" + string(rune('a'+size%26))
		slow := bytes.Repeat([]byte{'s'}, size)
		g := &gatedReader{data: slow, gateAt: size / 2, reached: make(chan struct{}), release: make(chan struct{})}
		if size > 64<<10 {
			g.gateAt = 150 << 10 // past the first block: the upload marker is written
		}
		sum := md5.Sum(slow)
		done := make(chan error, 1)
		go func() {
			_, err := e.m.PutObject(ctx, PutObjectInput{BucketID: "b", Key: key, Body: g, Size: int64(size),
				Digest: func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }})
			done <- err
		}()
		select {
		case <-g.reached:
		case <-time.After(10 * time.Second):
			t.Fatal("slow PUT never read its body")
		}
		put(t, e.m, "b", key, []byte("fast"))
		close(g.release)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("slow PUT never finished")
		}
		v, err := e.m.HeadObject(ctx, "b", key)
		if err != nil {
			t.Fatal(err)
		}
		if v.Meta.Size != int64(size) {
			t.Fatalf("size %d: GET returns the %d-byte PUT that finished first, want the one that finished last", size, v.Meta.Size)
		}
	}
}

// TestConcurrentIfNoneMatch: of 16 concurrent PUTs of one new key with
// If-None-Match: *, exactly one succeeds, and so for completions.
func TestConcurrentIfNoneMatch(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	const n = 16
	errs := make(chan error, n)
	uploads := make([]string, n)
	for i := range n {
		up, err := e.m.CreateUpload(ctx, "b", "mp", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		uploads[i] = up
	}
	for i := range n {
		go func() {
			body := []byte{byte(i)}
			sum := md5.Sum(body)
			_, err := e.m.PutObject(ctx, PutObjectInput{BucketID: "b", Key: "once", Body: bytes.NewReader(body), Size: 1,
				Digest: func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }, If: WriteConditions{IfNoneMatch: []string{"*"}}})
			errs <- err
		}()
	}
	lists := make([][]CompletedPart, n)
	for i, up := range uploads {
		lists[i] = []CompletedPart{putPart(t, e.m, "b", "mp", up, 1, []byte{byte(i)})}
	}
	for i, up := range uploads {
		go func() {
			_, err := e.m.CompleteUpload(ctx, "b", "mp", up, lists[i], WriteConditions{IfNoneMatch: []string{"*"}})
			errs <- err
		}()
	}
	ok := 0
	for range 2 * n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case !errors.Is(err, ErrPrecondition):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 2 {
		t.Fatalf("%d conditional writes succeeded, want one per key", ok)
	}
}
