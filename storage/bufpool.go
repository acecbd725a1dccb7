package storage

import (
	"sync"
	"time"
)

// bufPool keeps up to max idle buffers of one size for reuse.
//
// sync.Pool, which it replaces for block read buffers, is emptied by
// every other garbage collection. Under a memory limit the collector
// runs often while 1 MiB GETs are in flight, so the pool was mostly
// empty: about one GET in four allocated (and zeroed, and faulted in) a
// fresh 1 MiB buffer, whose garbage made the collector run sooner still.
// bufPool is not emptied by collections; instead
//   - at most max buffers are kept idle (one returned beyond that is left
//     to the garbage collector), so a burst of reads does not pin memory;
//   - once no buffer was taken for a whole idle period, the idle ones are
//     dropped, so that a node that stopped serving large reads gives the
//     memory back.
//
// It is safe for concurrent use.
type bufPool struct {
	size int
	max  int
	idle time.Duration

	mu    sync.Mutex
	free  [][]byte
	taken bool        // a buffer was taken since the last idle check
	timer *time.Timer // pending idle check; nil while free is empty
}

func newBufPool(size, max int, idle time.Duration) *bufPool {
	return &bufPool{size: size, max: max, idle: idle}
}

// get returns a buffer of length p.size, reused when one is idle.
func (p *bufPool) get() []byte {
	p.mu.Lock()
	p.taken = true
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return b[:p.size]
	}
	p.mu.Unlock()
	return make([]byte, p.size)
}

// put gives b back for reuse. Buffers of another capacity are ignored.
func (p *bufPool) put(b []byte) {
	if cap(b) != p.size {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) >= p.max {
		return
	}
	p.free = append(p.free, b[:p.size])
	if p.timer == nil {
		p.taken = false
		p.timer = time.AfterFunc(p.idle, p.idleCheck)
	}
}

// idleCheck drops the idle buffers if none was taken since the last
// check, and otherwise checks again one idle period later.
func (p *bufPool) idleCheck() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer == nil {
		return // dropped already (a test calling it directly)
	}
	if p.taken && len(p.free) > 0 {
		p.taken = false
		p.timer.Reset(p.idle)
		return
	}
	clear(p.free)
	p.free = p.free[:0]
	p.timer = nil
}

// idleCount is how many buffers are idle now (for tests).
func (p *bufPool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}
