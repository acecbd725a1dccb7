package storage

import (
	"sync"
	"time"
)

// BufPool keeps up to max idle buffers of one size for reuse: block read
// buffers here, the model's upload block buffers.
//
// sync.Pool, which it replaces for both, is emptied by every other
// garbage collection. Under a memory limit the collector runs often while
// 1 MiB GETs or large uploads are in flight, so the pool was mostly
// empty: about one GET in four allocated (and zeroed, and faulted in) a
// fresh 1 MiB buffer, whose garbage made the collector run sooner still
// (makeslice, memclr and the scavenger's madvise took ~9 % of the server's
// CPU in a 1 GiB multipart upload after 1 MiB GETs had filled the block
// cache). A BufPool is not emptied by collections; instead
//   - at most max buffers are kept idle (one returned beyond that is left
//     to the garbage collector), so a burst of reads does not pin memory;
//   - once no buffer was taken for a whole idle period, the idle ones are
//     dropped, so that a node that stopped serving large reads gives the
//     memory back.
//
// It is safe for concurrent use.
type BufPool struct {
	size int
	max  int
	idle time.Duration

	mu    sync.Mutex
	free  [][]byte
	taken bool        // a buffer was taken since the last idle check
	timer *time.Timer // pending idle check; nil while free is empty
}

// NewBufPool returns a pool of buffers of length size that keeps at most
// max idle ones, and drops them once none was taken for idle.
func NewBufPool(size, max int, idle time.Duration) *BufPool {
	return &BufPool{size: size, max: max, idle: idle}
}

// Get returns a buffer of length p.size, reused when one is idle.
func (p *BufPool) Get() []byte {
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

// Put gives b back for reuse (whatever its length). Buffers of another
// capacity are ignored.
func (p *BufPool) Put(b []byte) {
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
func (p *BufPool) idleCheck() {
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
func (p *BufPool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}
