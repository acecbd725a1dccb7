package blockrepl

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket of bytes: background work (resync, scrub)
// takes tokens for what it reads or sends and waits when there are none,
// so that it never uses more than rate bytes per second on average. A
// rate of 0 or less means no limit. It is safe for concurrent use.
type limiter struct {
	mu     sync.Mutex
	rate   float64 // bytes per second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	total  int64 // bytes that went through
}

// newLimiter returns a limiter of rate bytes per second whose bucket
// holds one second of traffic (at least 1 MiB, one block).
func newLimiter(rate int64) *limiter {
	l := &limiter{rate: float64(rate), now: time.Now, sleep: sleepCtx}
	l.burst = max(float64(rate), 1<<20)
	l.tokens = l.burst
	return l
}

// wait takes n bytes' worth of tokens, waiting for them as long as needed
// (a request larger than the bucket waits for its whole size).
func (l *limiter) wait(ctx context.Context, n int64) error {
	l.mu.Lock()
	l.total += n
	if l.rate <= 0 {
		l.mu.Unlock()
		return ctx.Err()
	}
	now := l.now()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	l.tokens -= float64(n)
	var d time.Duration
	if l.tokens < 0 {
		d = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	return l.sleep(ctx, d)
}

// bytes returns how many bytes went through the limiter.
func (l *limiter) bytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tranquil idles tranquility times as long as the step that started at
// start took (Garage's resync_tranquility), so background work leaves
// the disk and the link to client requests most of the time.
func tranquil(ctx context.Context, tranquility int, start time.Time, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	if tranquility <= 0 {
		return ctx.Err()
	}
	return sleep(ctx, time.Duration(tranquility)*now().Sub(start))
}
