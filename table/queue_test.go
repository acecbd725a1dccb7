package table

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/storage"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mustQueue returns the queue of a fresh local node on an injected clock,
// and a buffer receiving the node's logs.
func mustQueue(t testing.TB) (*Queue, *fakeClock, *syncBuffer) {
	t.Helper()
	db, err := storage.OpenDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	l, err := NewLocal("n0", db, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	l.queue.now = clock.Now
	return l.queue, clock, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)

// enqueue commits tasks as a hook would.
func enqueue(t testing.TB, q *Queue, kind string, payloads ...string) {
	t.Helper()
	err := q.local.db.Update(func(btx *bolt.Tx) error {
		tx := &Tx{bolt: btx}
		for _, p := range payloads {
			if err := tx.Enqueue(kind, []byte(p)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFailingTaskDoesNotDelayOthers(t *testing.T) {
	ctx := context.Background()
	q, clock, _ := mustQueue(t)
	var done []string
	q.Handle("bad", func(context.Context, []byte) error { return errors.New("always fails") })
	q.Handle("good", func(_ context.Context, p []byte) error { done = append(done, string(p)); return nil })
	enqueue(t, q, "bad", "b1")
	enqueue(t, q, "good", "g1")
	if n, err := q.RunOnce(ctx); n != 1 || err == nil || strings.Join(done, ",") != "g1" {
		t.Fatalf("first run: n=%d err=%v done=%v, want g1 done and bad reported", n, err, done)
	}
	// The bad task waits for its retry; a good task queued now runs at
	// once, without waiting for it.
	enqueue(t, q, "good", "g2")
	if n, err := q.RunOnce(ctx); n != 1 || err != nil || strings.Join(done, ",") != "g1,g2" {
		t.Fatalf("second run: n=%d err=%v done=%v, want g2 done, bad not yet retried", n, err, done)
	}
	if s := q.Stats(); s != (QueueStats{Retrying: 1}) {
		t.Fatalf("stats %+v, want one retrying", s)
	}
	// Backoff grows: after the k-th failure the task waits at least
	// retryBase<<(k-1) and less than twice that.
	for k := 1; k < 4; k++ {
		clock.Advance(retryBase<<(k-1) - time.Millisecond)
		if _, err := q.RunOnce(ctx); err != nil {
			t.Fatalf("failure %d: retried before its backoff", k)
		}
		clock.Advance(retryBase<<(k-1) + time.Millisecond)
		if _, err := q.RunOnce(ctx); err == nil {
			t.Fatalf("failure %d: not retried after twice its backoff", k)
		}
	}
}

func TestUnknownKindDoesNotBlock(t *testing.T) {
	ctx := context.Background()
	q, clock, logs := mustQueue(t)
	var done []string
	q.Handle("good", func(_ context.Context, p []byte) error { done = append(done, string(p)); return nil })
	enqueue(t, q, "from-the-future", "x")
	enqueue(t, q, "good", "g1", "g2")
	if n, _ := q.RunOnce(ctx); n != 2 || len(done) != 2 {
		t.Fatalf("run: n=%d done=%v, want both good tasks done", n, done)
	}
	if s := q.Stats(); s != (QueueStats{Poisoned: 1}) {
		t.Fatalf("stats %+v, want one poisoned", s)
	}
	for i := 0; i < 3; i++ {
		clock.Advance(poisonRetry)
		_, _ = q.RunOnce(ctx)
	}
	if n := strings.Count(logs.String(), "queued task poisoned"); n != 1 || !strings.Contains(logs.String(), "kind=from-the-future") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("poisoned task logged %d times, want once at Error with its kind:\n%s", n, logs)
	}
	if q.Len() != 1 {
		t.Fatalf("queue holds %d tasks, want the unknown one kept", q.Len())
	}
	// A handler registered later (after an upgrade) carries it out at once.
	q.Handle("from-the-future", func(context.Context, []byte) error { return nil })
	if n, err := q.RunOnce(ctx); n != 1 || err != nil || q.Len() != 0 {
		t.Fatalf("after registering the handler: n=%d err=%v len=%d", n, err, q.Len())
	}
}

func TestTaskPoisonedAfterRepeatedFailures(t *testing.T) {
	ctx := context.Background()
	q, clock, logs := mustQueue(t)
	fail := true
	calls := 0
	q.Handle("flaky", func(context.Context, []byte) error {
		calls++
		if fail {
			return errors.New("still broken")
		}
		return nil
	})
	enqueue(t, q, "flaky", "p")
	for i := 0; i < poisonAfter; i++ {
		if _, err := q.RunOnce(ctx); err == nil {
			t.Fatalf("attempt %d: not run", i+1)
		}
		clock.Advance(2 * retryMax)
	}
	if s := q.Stats(); s != (QueueStats{Poisoned: 1}) {
		t.Fatalf("after %d failures: stats %+v, want poisoned", poisonAfter, s)
	}
	if !strings.Contains(logs.String(), "queued task poisoned") {
		t.Fatalf("poisoning not logged:\n%s", logs)
	}
	// Poisoned: retried only every poisonRetry.
	clock.Advance(poisonRetry - 2*retryMax - time.Second)
	if _, err := q.RunOnce(ctx); err != nil || calls != poisonAfter {
		t.Fatalf("poisoned task retried early (calls %d)", calls)
	}
	fail = false
	clock.Advance(time.Second)
	if n, err := q.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("poisoned task that now succeeds: n=%d err=%v", n, err)
	}
	if s := q.Stats(); s != (QueueStats{}) || q.Len() != 0 {
		t.Fatalf("stats %+v len %d after success, want empty", s, q.Len())
	}
}

func TestFailThenSucceedIsRemoved(t *testing.T) {
	ctx := context.Background()
	q, clock, _ := mustQueue(t)
	n := 0
	q.Handle("k", func(context.Context, []byte) error {
		n++
		if n < 3 {
			return errors.New("transient")
		}
		return nil
	})
	enqueue(t, q, "k", "p")
	if s := q.Stats(); s != (QueueStats{Pending: 1}) {
		t.Fatalf("stats %+v, want one pending", s)
	}
	for i := 0; i < 3; i++ {
		_, _ = q.RunOnce(ctx)
		clock.Advance(retryMax * 2)
	}
	if q.Len() != 0 || q.Stats() != (QueueStats{}) || n != 3 {
		t.Fatalf("len %d stats %+v calls %d, want removed after the third attempt", q.Len(), q.Stats(), n)
	}
}

// TestRunWaitsForRetries runs the worker loop with a task that always
// fails: it must not spin (the handler runs once, then the loop sleeps
// until the retry is due), and it must still carry out new good tasks.
func TestRunWaitsForRetries(t *testing.T) {
	q, _, _ := mustQueue(t)
	var mu sync.Mutex
	bad := 0
	good := make(chan struct{}, 1)
	q.Handle("bad", func(context.Context, []byte) error { mu.Lock(); bad++; mu.Unlock(); return errors.New("fails") })
	q.Handle("good", func(context.Context, []byte) error { good <- struct{}{}; return nil })
	enqueue(t, q, "bad", "b")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { q.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	enqueue(t, q, "good", "g")
	q.wake()
	select {
	case <-good:
	case <-time.After(10 * time.Second):
		t.Fatal("good task not run behind a failing one")
	}
	cancel()
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	// The fake clock never moves, so the bad task is never due again.
	if bad != 1 {
		t.Fatalf("failing task ran %d times, want once (no spinning)", bad)
	}
}
