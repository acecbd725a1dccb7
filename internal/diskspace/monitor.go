package diskspace

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults of a Monitor.
const (
	DefaultInterval = 5 * time.Second // between measurements
	DefaultHold     = 5 * time.Minute // a failed write's mark lasts at least this, unless space grows back
)

// Usage is a file system's space as seen by an unprivileged writer.
type Usage struct {
	Free  uint64 // bytes available
	Total uint64 // bytes in the file system
}

// StatFunc measures the file system holding a directory.
type StatFunc func(dir string) (Usage, error)

// Dir is one directory to watch, with the name the reason uses
// ("data_dir", "metadata_dir").
type Dir struct {
	Name string
	Path string
}

// Monitor watches directories for a full disk. Create it with New; run
// Run in the background (or call Check).
type Monitor struct {
	dirs     []Dir
	stat     StatFunc
	now      func() time.Time
	interval time.Duration
	hold     time.Duration

	kick chan struct{} // a write failed: measure now

	mu    sync.Mutex
	state []dirState // per dir, guarded by mu

	reason atomic.Pointer[string] // nil: no disk full
}

type dirState struct {
	last     Usage
	measured bool
	failedAt time.Time // last failed write, zero if none pending
	lowWater uint64    // free space measured just after it
	haveLow  bool
}

// Options configure a Monitor; zero values take the defaults.
type Options struct {
	Interval time.Duration
	Hold     time.Duration
	Stat     StatFunc         // nil: statfs(2)
	Now      func() time.Time // nil: time.Now
}

// New returns a Monitor of dirs. It has measured nothing yet: Full is
// false until the first Check.
func New(dirs []Dir, o Options) *Monitor {
	m := &Monitor{dirs: dirs, stat: o.Stat, now: o.Now, interval: o.Interval, hold: o.Hold,
		kick: make(chan struct{}, 1), state: make([]dirState, len(dirs))}
	if m.stat == nil {
		m.stat = Statfs
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.interval <= 0 {
		m.interval = DefaultInterval
	}
	if m.hold <= 0 {
		m.hold = DefaultHold
	}
	return m
}

// IsNoSpace reports whether err says a disk or a quota is full.
func IsNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// WriteFailed tells the monitor that a write to directory name failed
// with err. Errors other than a lack of space are ignored. It does not
// block: the measurement it triggers runs in Run.
func (m *Monitor) WriteFailed(name string, err error) {
	if !IsNoSpace(err) {
		return
	}
	now := m.now()
	m.mu.Lock()
	for i, d := range m.dirs {
		if d.Name == name {
			m.state[i].failedAt, m.state[i].haveLow = now, false
		}
	}
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Full returns a reason ("data_dir full: 1234 bytes free") when a watched
// directory is full, "" otherwise.
func (m *Monitor) Full() string {
	if r := m.reason.Load(); r != nil {
		return *r
	}
	return ""
}

// Run measures every Interval, and at once after a failed write, until
// ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	m.Check()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.kick:
		}
		m.Check()
	}
}

// Check measures every directory now and updates Full.
func (m *Monitor) Check() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var reasons []string
	for i, d := range m.dirs {
		st := &m.state[i]
		u, err := m.stat(d.Path)
		if err != nil {
			// Unknown: keep the last measurement rather than guess.
			if !st.measured {
				continue
			}
			u = st.last
		}
		st.last, st.measured = u, true
		if full(st, u, now, m.hold) {
			reasons = append(reasons, fmt.Sprintf("%s full: %d bytes free", d.Name, u.Free))
		}
	}
	if len(reasons) == 0 {
		m.reason.Store(nil)
		return
	}
	r := reasons[0]
	for _, x := range reasons[1:] {
		r += "; " + x
	}
	m.reason.Store(&r)
}

// full applies the rules of the package doc to one directory, and clears
// a failed write's mark once space came back.
func full(st *dirState, u Usage, now time.Time, hold time.Duration) bool {
	low := u.Free < threshold(u.Total)
	if st.failedAt.IsZero() {
		return low
	}
	if !st.haveLow {
		st.lowWater, st.haveLow = u.Free, true
		return true
	}
	grown := u.Free >= st.lowWater+margin(u.Total)
	if grown || (!low && now.Sub(st.failedAt) >= hold) {
		st.failedAt, st.haveLow = time.Time{}, false
		return low
	}
	return true
}

// threshold is the free space below which a file system counts as full:
// 1% of it, at most 100 MiB.
func threshold(total uint64) uint64 { return min(total/100, 100<<20) }

// margin is how much free space must grow after a failed write: 1% of
// the file system, between 1 MiB and 64 MiB.
func margin(total uint64) uint64 { return min(max(total/100, 1<<20), 64<<20) }
