package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var queueBucket = []byte("_queue")

// Retry policy of queued tasks. Each task has its own retry state: a task
// that fails waits on its own and never holds back the tasks behind it.
const (
	// retryBase is the wait after a task's first failure; it doubles with
	// every further failure (plus up to as much again of random jitter, so
	// tasks failing together do not retry together) up to retryMax.
	retryBase = time.Second
	retryMax  = 5 * time.Minute
	// poisonAfter failures in a row make a task poisoned, as does a kind
	// with no handler. A poisoned task is logged once at Error level and
	// kept in the queue (a later version may know how to carry it out),
	// but retried only every poisonRetry.
	poisonAfter = 10
	poisonRetry = 10 * time.Minute
	// taskTimeout bounds one attempt, so that a handler that hangs cannot
	// stop the queue.
	taskTimeout = 5 * time.Minute
	// queueBatch is how many due tasks one RunOnce carries out.
	queueBatch = 256
)

// TaskFunc carries out one queued task. It must be idempotent: a task is
// retried until it succeeds, and may run again after a crash.
type TaskFunc func(ctx context.Context, payload []byte) error

// Queue is the durable local queue of work enqueued by table hooks.
//
// Tasks are stored in the node's database, committed with the change that
// enqueued them. Retry state (attempts, next attempt, last error) is kept
// in memory: after a restart every task is tried again at once.
type Queue struct {
	local  *Local
	now    func() time.Time
	signal chan struct{}
	// run serialises RunOnce calls.
	run sync.Mutex

	mu       sync.Mutex
	handlers map[string]TaskFunc
	retry    map[string]*retryState // by task key
}

// retryState is the in-memory retry state of one failed task.
type retryState struct {
	kind     string
	attempts int
	next     time.Time
	lastErr  error
	poisoned bool
}

// QueueStats counts the tasks of a queue by state.
type QueueStats struct {
	// Pending tasks have not failed yet (new, or not tried since start).
	Pending int
	// Retrying tasks failed and wait for their next attempt.
	Retrying int
	// Poisoned tasks failed poisonAfter times in a row or have a kind
	// with no handler; they are retried only rarely.
	Poisoned int
}

func newQueue(l *Local) *Queue {
	return &Queue{local: l, now: time.Now, handlers: map[string]TaskFunc{}, retry: map[string]*retryState{}, signal: make(chan struct{}, 1)}
}

// Handle registers the handler for tasks of kind. Tasks of that kind that
// were waiting for a handler become due at once.
func (q *Queue) Handle(kind string, fn TaskFunc) {
	q.mu.Lock()
	q.handlers[kind] = fn
	for k, st := range q.retry {
		if st.kind == kind && st.attempts == 0 {
			delete(q.retry, k) // poisoned only for lack of a handler
		}
	}
	q.mu.Unlock()
	q.wake()
}

func (q *Queue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// Len returns the number of tasks in the queue, in any state.
func (q *Queue) Len() int {
	n := 0
	_ = q.local.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(queueBucket).Stats().KeyN
		return nil
	})
	return n
}

// Stats counts the queued tasks by state. It is safe to call at any time
// (metrics do).
func (q *Queue) Stats() QueueStats {
	total := q.Len()
	var s QueueStats
	q.mu.Lock()
	for _, st := range q.retry {
		if st.poisoned {
			s.Poisoned++
		} else {
			s.Retrying++
		}
	}
	q.mu.Unlock()
	s.Pending = max(0, total-s.Retrying-s.Poisoned)
	return s
}

type task struct {
	key     []byte
	kind    string
	payload []byte
}

// due returns up to max tasks whose next attempt time has come, in queue
// order, skipping those that wait; more reports that due tasks were left.
func (q *Queue) due(now time.Time, max int) (tasks []task, more bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	err = q.local.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(queueBucket).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if st, ok := q.retry[string(k)]; ok && now.Before(st.next) {
				continue
			}
			if len(tasks) == max {
				more = true
				return nil
			}
			t := task{key: bytes.Clone(k)}
			if len(v) >= 1 && len(v) >= 1+int(v[0]) {
				n := int(v[0])
				t.kind, t.payload = string(v[1:1+n]), bytes.Clone(v[1+n:])
			} else {
				t.kind = "(unreadable)" // no handler: poisoned, kept
			}
			tasks = append(tasks, t)
		}
		return nil
	})
	return tasks, more, err
}

// RunOnce carries out the tasks that are due (up to a batch) and reports
// how many it completed. Failed tasks stay queued and wait for their own
// next attempt; the error reports the first failure of this run.
func (q *Queue) RunOnce(ctx context.Context) (done int, err error) {
	done, _, err = q.runOnce(ctx)
	return done, err
}

// runOnce is RunOnce that also says whether due tasks were left over.
func (q *Queue) runOnce(ctx context.Context) (done int, more bool, err error) {
	q.run.Lock()
	defer q.run.Unlock()
	tasks, more, err := q.due(q.now(), queueBatch)
	if err != nil {
		return 0, false, fmt.Errorf("read queue: %w", err)
	}
	var finished [][]byte
	var firstErr error
	for _, t := range tasks {
		if ctx.Err() != nil {
			break
		}
		q.mu.Lock()
		h := q.handlers[t.kind]
		q.mu.Unlock()
		var err error
		if h == nil {
			err = fmt.Errorf("no handler for queued task kind %q", t.kind)
		} else {
			tctx, cancel := context.WithTimeout(ctx, taskTimeout)
			err = h(tctx, t.payload)
			cancel()
		}
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				break // shutting down: not the task's fault
			}
			err = fmt.Errorf("task %s: %w", t.kind, err)
			q.failed(t, h == nil, err)
			if firstErr == nil {
				firstErr = err
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
			return 0, more, fmt.Errorf("dequeue: %w", err)
		}
		q.mu.Lock()
		for _, k := range finished {
			delete(q.retry, string(k))
		}
		q.mu.Unlock()
	}
	return len(finished), more, firstErr
}

// failed records a failed attempt of t and schedules the next one.
func (q *Queue) failed(t task, noHandler bool, err error) {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	st, ok := q.retry[string(t.key)]
	if !ok {
		st = &retryState{kind: t.kind}
		q.retry[string(t.key)] = st
	}
	if !noHandler {
		st.attempts++
	}
	st.lastErr = err
	log := q.local.log
	if noHandler || st.attempts >= poisonAfter {
		st.next = now.Add(poisonRetry)
		if !st.poisoned {
			st.poisoned = true
			log.Error("queued task poisoned: kept, retried rarely", "kind", t.kind, "attempts", st.attempts, "retry_every", poisonRetry, "err", err)
		}
		return
	}
	wait := backoff(st.attempts)
	st.next = now.Add(wait)
	if st.attempts == 1 {
		log.Warn("queued task failed; will retry", "kind", t.kind, "retry_in", wait, "err", err)
	} else {
		log.Debug("queued task failed again", "kind", t.kind, "attempts", st.attempts, "retry_in", wait, "err", err)
	}
}

// backoff is the wait after the given number of failures in a row:
// exponential from retryBase, capped at retryMax, with jitter in [d, 2d).
func backoff(attempts int) time.Duration {
	d := retryBase
	for i := 1; i < attempts && d < retryMax; i++ {
		d *= 2
	}
	d = min(d, retryMax)
	return d + rand.N(d)
}

// nextWake returns how long Run may sleep before a waiting task is due
// (at most idle).
func (q *Queue) nextWake(idle time.Duration) time.Duration {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	wait := idle
	for _, st := range q.retry {
		wait = min(wait, max(0, st.next.Sub(now)))
	}
	return wait
}

// Run works through the queue until ctx ends, waking up when tasks are
// enqueued or a failed task is due again.
func (q *Queue) Run(ctx context.Context) {
	for ctx.Err() == nil {
		done, more, _ := q.runOnce(ctx) // failures are logged by failed
		if done > 0 || more {
			continue
		}
		// Nothing due completed: sleep until the next retry is due (a
		// task that just failed waits at least retryBase), never spin.
		wait := max(q.nextWake(30*time.Second), 10*time.Millisecond)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-q.signal:
		case <-timer.C:
		}
		timer.Stop()
	}
}
