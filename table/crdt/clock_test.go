package crdt

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestClockNeverGoesBack(t *testing.T) {
	wall := time.UnixMilli(1000)
	c := NewClock(func() time.Time { return wall })
	first := c.Now()
	c.Observe(5000) // a node ahead of us
	if got := c.Now(); got <= 5000 {
		t.Fatalf("Now after Observe(5000) = %d, want > 5000", got)
	}
	wall = time.UnixMilli(10) // our wall clock jumps back
	if got := c.Now(); got <= first {
		t.Fatalf("clock went back: %d <= %d", got, first)
	}
	if got := c.After(9000); got <= 9000 {
		t.Fatalf("After(9000) = %d", got)
	}
}

// TestOpenClockSurvivesRestart: a clock reopened with its wall clock a
// minute behind (and without a clean shutdown: there is none) still
// returns timestamps above everything the previous run returned or
// observed.
func TestOpenClockSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	wall := time.UnixMilli(1_000_000)
	c, err := OpenClock(path, func() time.Time { return wall })
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for range 1000 {
		last = c.Now()
	}
	behind := func() time.Time { return wall.Add(-time.Minute) }
	c2, err := OpenClock(path, behind)
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.Now(); got <= last {
		t.Fatalf("after restart Now() = %d, want > %d", got, last)
	}
	// A timestamp observed from a node far ahead is remembered too.
	ahead := uint64(wall.Add(time.Hour).UnixMilli())
	c2.Observe(ahead)
	c3, err := OpenClock(path, behind)
	if err != nil {
		t.Fatal(err)
	}
	if got := c3.Now(); got <= ahead {
		t.Fatalf("after restart Now() = %d, want > observed %d", got, ahead)
	}
	if err := c3.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenClockWritesRarely: the mark is rewritten only when timestamps
// pass it, not on every call.
func TestOpenClockWritesRarely(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	wall := time.UnixMilli(1_000_000)
	c, err := OpenClock(path, func() time.Time { return wall })
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	mark := c.ceiling
	for range 100 {
		c.Now()
	}
	if c.ceiling != mark {
		t.Fatalf("mark rewritten within the reserve: %d -> %d", mark, c.ceiling)
	}
	wall = wall.Add(2 * ClockReserve)
	if got := c.Now(); got >= c.ceiling || c.ceiling == mark {
		t.Fatalf("Now() = %d with mark %d (was %d): mark not moved ahead", got, c.ceiling, mark)
	}
	if st2, err := os.Stat(path); err != nil || os.SameFile(st, st2) {
		t.Fatalf("clock file not replaced: %v", err)
	}
}

func TestOpenClockRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	if err := os.WriteFile(path, []byte("nonsense"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenClock(path, nil); err == nil {
		t.Fatal("OpenClock accepted a garbage file")
	}
}
