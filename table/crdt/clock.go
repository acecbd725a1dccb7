package crdt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/garage-web/garage-web/internal/atomicfile"
)

// ClockReserve is how far ahead of the timestamps it hands out a
// persisted clock records its high-water mark. The file is rewritten (and
// synced) only when a timestamp passes the recorded mark, so at most
// about once per ClockReserve of wall time, not on every call.
const ClockReserve = 3 * time.Second

// clockFormat is the first byte of the clock file; the 8 bytes after it
// are the high-water mark in milliseconds, big endian.
const clockFormat = 1

// Clock produces hybrid timestamps in milliseconds: the wall clock, but
// always above every timestamp it returned or observed before, so a node
// whose wall clock is behind cannot write values older than what it has
// seen.
//
// A clock opened with OpenClock keeps that promise across restarts: before
// it hands out (or accepts through Observe) a timestamp at or above its
// persisted high-water mark, it writes a new mark ClockReserve ahead. A
// restarted clock starts above the last mark, so above everything the
// previous run returned or observed. If the mark cannot be written (a full
// disk), the clock keeps working, the promise holds only for this run, and
// Err reports the failure until a later write succeeds.
//
// A Clock is safe for concurrent use.
type Clock struct {
	now func() time.Time

	mu      sync.Mutex
	last    uint64 // highest timestamp returned or observed
	path    string // "" when not persisted
	ceiling uint64 // persisted high-water mark: last < ceiling once synced
	err     error  // of the last write of the mark
}

// NewClock returns a clock reading now (time.Now when nil) that is not
// persisted: a restart forgets what it saw. Tests and tools use it.
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// OpenClock returns a clock reading now (time.Now when nil) whose
// high-water mark is kept in the file at path (created if missing; its
// directory must exist). Every timestamp it returns is above every
// timestamp a clock opened on the same file returned or observed before.
func OpenClock(path string, now func() time.Time) (*Clock, error) {
	c := NewClock(now)
	c.path = path
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read clock: %w", err)
	case len(raw) != 9 || raw[0] != clockFormat:
		return nil, fmt.Errorf("clock file %s: unknown format (%d bytes)", path, len(raw))
	default:
		c.last = binary.BigEndian.Uint64(raw[1:])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reserve(max(c.last, c.wall()))
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

func (c *Clock) wall() uint64 { return uint64(c.now().UnixMilli()) }

// Now returns a fresh timestamp, greater than any returned or observed.
func (c *Clock) Now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := max(c.wall(), c.last+1)
	c.last = t
	c.reserve(t)
	return t
}

// Observe records a timestamp seen elsewhere (an entry read, a peer's
// RPC): later timestamps are above it.
func (c *Clock) Observe(t uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t > c.last {
		c.last = t
		c.reserve(t)
	}
}

// After returns a timestamp greater than both a fresh one and t: used to
// supersede a value written with timestamp t.
func (c *Clock) After(t uint64) uint64 {
	c.Observe(t)
	return c.Now()
}

// Err returns the error of the last attempt to persist the high-water
// mark, nil when it is on disk.
func (c *Clock) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// reserve makes sure the persisted mark is above t. c.mu is held.
func (c *Clock) reserve(t uint64) {
	if c.path == "" || t < c.ceiling {
		return
	}
	mark := t + uint64(ClockReserve.Milliseconds())
	if c.err = writeClockFile(c.path, mark); c.err == nil {
		c.ceiling = mark
	}
}

// writeClockFile replaces the file at path with the mark, durably.
func writeClockFile(path string, mark uint64) error {
	var buf [9]byte
	buf[0] = clockFormat
	binary.BigEndian.PutUint64(buf[1:], mark)
	if err := atomicfile.Write(path, buf[:], 0o600); err != nil {
		return fmt.Errorf("write clock: %w", err)
	}
	return nil
}
