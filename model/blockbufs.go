package model

import "sync"

// keepBlockBufs is how many free block buffers stay allocated across
// garbage collections (8 MiB with 1 MiB blocks).
//
// A sync.Pool alone loses its buffers at every other collection. Under
// memory_limit with the block cache warm the collector runs many times a
// second during a large upload, so most blocks got a freshly allocated
// buffer: zeroed, faulted in, then returned to the OS by the scavenger
// (measured: makeslice, memclr and madvise together ~9 % of the server's
// CPU in a 1 GiB multipart upload after 1 MiB GETs had filled the cache).
// The buffers are in use during uploads anyway; keeping a few between
// blocks costs at most keepBlockBufs buffers of memory while idle.
const keepBlockBufs = 8

// blockBufs recycles block-sized buffers: a bounded free list that the
// collector leaves alone, then a sync.Pool. The zero value is ready.
type blockBufs struct {
	mu   sync.Mutex
	free [][]byte
	pool sync.Pool // *[]byte
}

// get returns a buffer of length size.
func (p *blockBufs) get(size int) []byte {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.mu.Unlock()
		if cap(b) == size {
			return b[:size]
		}
	} else {
		p.mu.Unlock()
	}
	if b, ok := p.pool.Get().(*[]byte); ok && cap(*b) == size {
		return (*b)[:size]
	}
	return make([]byte, size)
}

// put gives b back; a buffer of another capacity than size is dropped.
func (p *blockBufs) put(b []byte, size int) {
	if cap(b) != size {
		return
	}
	b = b[:size]
	p.mu.Lock()
	if len(p.free) < keepBlockBufs {
		p.free = append(p.free, b)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.pool.Put(&b)
}
