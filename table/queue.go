package table

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var queueBucket = []byte("_queue")

// TaskFunc carries out one queued task. It must be idempotent: a task is
// retried until it succeeds, and may run again after a crash.
type TaskFunc func(ctx context.Context, payload []byte) error

// Queue is the durable local queue of work enqueued by table hooks.
type Queue struct {
	local    *Local
	mu       sync.Mutex
	handlers map[string]TaskFunc
	signal   chan struct{}
}

func newQueue(l *Local) *Queue {
	return &Queue{local: l, handlers: map[string]TaskFunc{}, signal: make(chan struct{}, 1)}
}

// Handle registers the handler for tasks of kind.
func (q *Queue) Handle(kind string, fn TaskFunc) {
	q.mu.Lock()
	q.handlers[kind] = fn
	q.mu.Unlock()
}

func (q *Queue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// Len returns the number of pending tasks.
func (q *Queue) Len() int {
	n := 0
	_ = q.local.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(queueBucket).Stats().KeyN
		return nil
	})
	return n
}

type task struct {
	key     []byte
	kind    string
	payload []byte
}

func (q *Queue) next(max int) ([]task, error) {
	var out []task
	err := q.local.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(queueBucket).Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			if len(v) < 1 || len(v) < 1+int(v[0]) {
				out = append(out, task{key: bytes.Clone(k)}) // unreadable: dropped below
				continue
			}
			n := int(v[0])
			out = append(out, task{key: bytes.Clone(k), kind: string(v[1 : 1+n]), payload: bytes.Clone(v[1+n:])})
		}
		return nil
	})
	return out, err
}

// RunOnce carries out the pending tasks (up to a batch) and reports how
// many it completed. Failed tasks stay queued.
func (q *Queue) RunOnce(ctx context.Context) (done int, err error) {
	tasks, err := q.next(256)
	if err != nil {
		return 0, fmt.Errorf("read queue: %w", err)
	}
	var finished [][]byte
	var firstErr error
	for _, t := range tasks {
		q.mu.Lock()
		h := q.handlers[t.kind]
		q.mu.Unlock()
		if h == nil {
			if t.kind != "" {
				firstErr = fmt.Errorf("no handler for queued task kind %q", t.kind)
				continue
			}
		} else if err := h(ctx, t.payload); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("task %s: %w", t.kind, err)
			}
			continue
		}
		finished = append(finished, t.key)
	}
	if len(finished) > 0 {
		err := q.local.db.Batch(func(tx *bolt.Tx) error {
			b := tx.Bucket(queueBucket)
			for _, k := range finished {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("dequeue: %w", err)
		}
	}
	return len(finished), firstErr
}

// Run works through the queue until ctx ends, waking up when tasks are
// enqueued and retrying failures with a backoff.
func (q *Queue) Run(ctx context.Context) {
	backoff := time.Second
	for {
		done, err := q.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			q.local.log.Warn("queued task failed; will retry", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Minute)
			continue
		}
		backoff = time.Second
		if done > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-q.signal:
		case <-time.After(30 * time.Second):
		}
	}
}
