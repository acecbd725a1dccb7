package node

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/config"
	"github.com/garage-web/garage-web/model"
)

// fakeNixStore is a nixCacheStore: buckets "a", "b" (caches, by signing
// key and by nix-cache-info) and "c" (not a cache). Each NixCacheGC call
// is sent on calls.
type fakeNixStore struct {
	calls chan nixGCCall
}

type nixGCCall struct {
	bucket    string
	olderThan time.Duration
	now       time.Time
}

func (f *fakeNixStore) ListBuckets(context.Context) ([]model.Bucket, error) {
	return []model.Bucket{{ID: "a"}, {ID: "b"}, {ID: "c"}}, nil
}

func (f *fakeNixStore) GetNixCacheKey(_ context.Context, id string) (string, error) {
	if id == "a" {
		return "cache-1:secret", nil
	}
	return "", nil
}

func (f *fakeNixStore) HeadObject(_ context.Context, id, key string) (model.ObjectVersion, error) {
	if id == "b" && key == "nix-cache-info" {
		return model.ObjectVersion{}, nil
	}
	return model.ObjectVersion{}, model.ErrNoSuchObject
}

func (f *fakeNixStore) NixCacheGC(_ context.Context, id string, olderThan time.Duration, now time.Time, dry bool) (model.NixGCResult, error) {
	if dry {
		panic("scheduled GC must not be a dry run")
	}
	f.calls <- nixGCCall{id, olderThan, now}
	return model.NixGCResult{Narinfos: []string{"x.narinfo"}, Nars: []string{"nar/x.nar"}}, nil
}

// recv waits, with a deadline, for the next GC call.
func recv(t *testing.T, calls <-chan nixGCCall) nixGCCall {
	t.Helper()
	select {
	case c := <-calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no nix cache GC call within 10s")
		return nixGCCall{}
	}
}

func TestNixGCLoop(t *testing.T) {
	store := &fakeNixStore{calls: make(chan nixGCCall, 10)}
	var logs bytes.Buffer
	var logMu sync.Mutex
	g := &nixGC{store: store, olderThan: 720 * time.Hour, leads: func(string) bool { return true },
		log: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))}
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		g.run(ctx, ticks)
	}()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		now := t0.Add(time.Duration(i) * time.Hour)
		ticks <- now
		// Caches a (signing key) and b (nix-cache-info), never c.
		for _, want := range []string{"a", "b"} {
			c := recv(t, store.calls)
			if c.bucket != want || c.now != now || c.olderThan != 720*time.Hour {
				t.Fatalf("tick %d: call %+v, want bucket %s at %v", i, c, want, now)
			}
		}
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("loop did not stop when its context ended")
	}
	if len(store.calls) != 0 {
		t.Fatalf("%d extra GC calls", len(store.calls))
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "msg=\"nix cache gc\""); n != 6 {
		t.Errorf("%d log lines for 6 collections:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "narinfos_removed=1") || !strings.Contains(logs.String(), "nar/x.nar") {
		t.Errorf("log does not say what was removed:\n%s", logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestNixGCOnlyLedCaches(t *testing.T) {
	store := &fakeNixStore{calls: make(chan nixGCCall, 10)}
	g := &nixGC{store: store, olderThan: time.Hour, leads: func(id string) bool { return id != "a" },
		log: slog.New(slog.DiscardHandler)}
	if got := g.pass(context.Background(), time.Now()); len(got) != 1 || got[0] != "b" {
		t.Fatalf("collected %v, want [b]", got)
	}
}

func TestClipKeys(t *testing.T) {
	keys := []string{"a", "b", "c", "d"}
	if got := clipKeys(keys, 4); len(got) != 4 {
		t.Errorf("clipKeys(4 keys, 4) = %v", got)
	}
	if got := clipKeys(keys, 2); len(got) != 3 || got[2] != "… 2 more" || keys[2] != "c" {
		t.Errorf("clipKeys(4 keys, 2) = %v (input now %v)", got, keys)
	}
}

// On a real node: the pass finds the cache by its nix-cache-info, this
// node (a cluster of one) leads it, and the stale narinfo and its NAR go;
// a bucket that is no cache keeps its files.
func TestNixGCRealModel(t *testing.T) {
	n, _ := testNode(t)
	ctx := context.Background()
	put := func(bucketID, key, body string) {
		t.Helper()
		if _, err := n.model.PutObject(ctx, model.PutObjectInput{BucketID: bucketID, Key: key, Body: strings.NewReader(body), Size: int64(len(body)),
			Digest: func() (string, map[string]string) {
				sum := md5.Sum([]byte(body))
				return hex.EncodeToString(sum[:]), nil
			}}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := n.model.CreateKey(ctx, "owner")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := n.model.CreateBucket(ctx, "cache", k.ID)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := n.model.CreateBucket(ctx, "plain", k.ID)
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("a", 32)
	narinfo := "StorePath: /nix/store/" + hash + "-x\nURL: nar/x.nar\nReferences: \n"
	put(cache.ID, "nix-cache-info", "StoreDir: /nix/store\n")
	put(cache.ID, hash+".narinfo", narinfo)
	put(cache.ID, "nar/x.nar", "nar bytes")
	put(plain.ID, hash+".narinfo", narinfo)
	put(plain.ID, "nar/x.nar", "nar bytes")

	if !n.leadsNixGC(cache.ID) {
		t.Fatal("a cluster of one does not lead its own cache")
	}
	g := &nixGC{store: n.model, olderThan: 30 * 24 * time.Hour, leads: n.leadsNixGC, log: slog.New(slog.DiscardHandler)}
	got := g.pass(ctx, time.Now().Add(60*24*time.Hour))
	if len(got) != 1 || got[0] != cache.ID {
		t.Fatalf("collected %v, want only the cache %s", got, cache.ID)
	}
	for _, key := range []string{hash + ".narinfo", "nar/x.nar"} {
		if _, err := n.model.HeadObject(ctx, cache.ID, key); err == nil {
			t.Errorf("cache: %s kept, want it collected", key)
		}
		if _, err := n.model.HeadObject(ctx, plain.ID, key); err != nil {
			t.Errorf("plain bucket: %s: %v", key, err)
		}
	}
	if _, err := n.model.HeadObject(ctx, cache.ID, "nix-cache-info"); err != nil {
		t.Errorf("nix-cache-info: %v", err)
	}
}

// startNixGC is off without an interval and its wait returns once the
// context ends.
func TestStartNixGC(t *testing.T) {
	n, _ := testNode(t)
	n.startNixGC(context.Background())() // off by default: returns at once
	n.cfg.S3Web.NixCacheGCInterval = config.Duration(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	wait := n.startNixGC(ctx)
	cancel()
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("nix cache GC loop still running 10s after its context ended")
	}
}
