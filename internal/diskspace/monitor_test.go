package diskspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeDisk is a file system whose free space the test sets, and a clock.
type fakeDisk struct {
	mu    sync.Mutex
	usage map[string]Usage
	err   error
	now   time.Time
}

func (f *fakeDisk) stat(dir string) (Usage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.usage[dir], f.err
}

func (f *fakeDisk) set(dir string, free uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.usage[dir]
	u.Free = free
	f.usage[dir] = u
}

func (f *fakeDisk) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeDisk) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

const gib = 1 << 30

func newFake(t *testing.T) (*fakeDisk, *Monitor) {
	t.Helper()
	f := &fakeDisk{usage: map[string]Usage{"/data": {Free: 50 * gib, Total: 100 * gib}, "/meta": {Free: 5 * gib, Total: 10 * gib}},
		now: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
	m := New([]Dir{{"data_dir", "/data"}, {"metadata_dir", "/meta"}}, Options{Stat: f.stat, Now: f.clock, Hold: time.Minute})
	return f, m
}

func TestThreshold(t *testing.T) {
	f, m := newFake(t)
	m.Check()
	if r := m.Full(); r != "" {
		t.Fatalf("healthy disks: %q", r)
	}
	f.set("/data", 100<<20-1) // 1% of 100 GiB is above the 100 MiB cap
	m.Check()
	if r := m.Full(); r != fmt.Sprintf("data_dir full: %d bytes free", 100<<20-1) {
		t.Fatalf("low data disk: %q", r)
	}
	f.set("/meta", 1000)
	m.Check()
	if r := m.Full(); !strings.Contains(r, "data_dir full") || !strings.Contains(r, "metadata_dir full: 1000 bytes free") {
		t.Fatalf("both low: %q", r)
	}
	f.set("/data", 100<<20)
	f.set("/meta", 5*gib)
	m.Check()
	if r := m.Full(); r != "" {
		t.Fatalf("space back: %q", r)
	}
}

func TestFailedWriteUntilSpaceGrows(t *testing.T) {
	f, m := newFake(t)
	m.Check()
	m.WriteFailed("data_dir", errors.New("a plain error"))
	m.Check()
	if r := m.Full(); r != "" {
		t.Fatalf("an error other than ENOSPC marked the disk full: %q", r)
	}
	// A write failed, yet free space (after its temporary file went) looks
	// fine: the disk is full until space grows by the margin (1 GiB of 100).
	m.WriteFailed("data_dir", fmt.Errorf("write block: %w", &fs.PathError{Op: "write", Path: "/data/x", Err: syscall.ENOSPC}))
	m.Check()
	if r := m.Full(); r != fmt.Sprintf("data_dir full: %d bytes free", 50*gib) {
		t.Fatalf("after ENOSPC: %q", r)
	}
	f.set("/data", 50*gib+32<<20)
	m.Check()
	if m.Full() == "" {
		t.Fatal("cleared before space grew by the margin")
	}
	f.set("/data", 50*gib+64<<20)
	m.Check()
	if r := m.Full(); r != "" {
		t.Fatalf("space grew by the margin: %q", r)
	}
}

func TestFailedWriteHold(t *testing.T) {
	f, m := newFake(t)
	m.WriteFailed("metadata_dir", syscall.EDQUOT)
	m.Check()
	f.advance(59 * time.Second)
	m.Check()
	if !strings.Contains(m.Full(), "metadata_dir full") {
		t.Fatalf("within the hold: %q", m.Full())
	}
	f.set("/meta", 1000) // below the threshold: the hold does not clear it
	f.advance(time.Hour)
	m.Check()
	if !strings.Contains(m.Full(), "metadata_dir full: 1000 bytes free") {
		t.Fatalf("low after the hold: %q", m.Full())
	}
	f.set("/meta", 200<<20) // above the threshold, not by the margin over the low water
	m.Check()
	if r := m.Full(); r != "" {
		t.Fatalf("hold passed with space above the threshold: %q", r)
	}
}

func TestStatErrorsKeepTheLastMeasurement(t *testing.T) {
	f, m := newFake(t)
	f.set("/data", 10)
	m.Check()
	f.mu.Lock()
	f.err = errors.New("stat failed")
	f.mu.Unlock()
	m.Check()
	if !strings.Contains(m.Full(), "data_dir full: 10 bytes free") {
		t.Fatalf("after a failed stat: %q", m.Full())
	}
}

// Run measures at once after a failed write, without waiting for its
// interval.
func TestRunChecksAfterFailedWrite(t *testing.T) {
	f, _ := newFake(t)
	checked := make(chan struct{}, 16)
	stat := func(dir string) (Usage, error) {
		u, err := f.stat(dir)
		if dir == "/meta" {
			checked <- struct{}{}
		}
		return u, err
	}
	m := New([]Dir{{"data_dir", "/data"}, {"metadata_dir", "/meta"}}, Options{Stat: stat, Now: f.clock, Interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wait := func() {
		t.Helper()
		select {
		case <-checked:
		case <-time.After(10 * time.Second):
			t.Fatal("no measurement")
		}
	}
	wait() // the first one
	m.WriteFailed("data_dir", syscall.ENOSPC)
	wait()
	// The measurement ends by publishing its result: poll it briefly.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(m.Full(), "data_dir full") {
		if time.Now().After(deadline) {
			t.Fatalf("after a failed write: %q", m.Full())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStatfs(t *testing.T) {
	u, err := Statfs(t.TempDir())
	if err != nil {
		t.Skipf("statfs: %v", err)
	}
	if u.Total == 0 || u.Free > u.Total {
		t.Fatalf("statfs of a temp dir: %+v", u)
	}
	if _, err := Statfs("/does/not/exist"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("statfs of a missing dir: %v", err)
	}
}
