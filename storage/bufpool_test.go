package storage

import (
	"testing"
	"time"
)

func TestBufPoolKeepsAtMostMax(t *testing.T) {
	p := NewBufPool(64, 3, time.Hour)
	var bufs [][]byte
	for i := 0; i < 10; i++ {
		b := p.Get()
		if len(b) != 64 {
			t.Fatalf("buffer of %d bytes", len(b))
		}
		bufs = append(bufs, b)
	}
	for _, b := range bufs {
		p.Put(b)
		if n := p.idleCount(); n > 3 {
			t.Fatalf("%d idle buffers, more than 3", n)
		}
	}
	if n := p.idleCount(); n != 3 {
		t.Fatalf("%d idle buffers, want 3", n)
	}
	p.Put(make([]byte, 10, 100)) // another size: not kept
	if n := p.idleCount(); n != 3 {
		t.Fatalf("%d idle buffers after a foreign one, want 3", n)
	}
	// Reuse: the buffers handed out are the idle ones.
	b := p.Get()
	b[0] = 7
	p.Put(b)
	if c := p.Get(); &c[0] != &b[0] {
		t.Fatal("an idle buffer was not reused")
	}
}

// The idle check (run by a timer; called directly here) drops the idle
// buffers only after a whole period in which none was taken.
func TestBufPoolIdleCheck(t *testing.T) {
	p := NewBufPool(64, 4, time.Hour)
	p.Put(p.Get())
	p.Put(make([]byte, 64))
	p.Get() // taken during this period
	p.idleCheck()
	if n := p.idleCount(); n != 1 {
		t.Fatalf("%d idle buffers after a busy period, want 1", n)
	}
	p.idleCheck() // nothing taken since: dropped
	if n := p.idleCount(); n != 0 {
		t.Fatalf("%d idle buffers after an idle period, want 0", n)
	}
	p.mu.Lock()
	stopped := p.timer == nil
	p.mu.Unlock()
	if !stopped {
		t.Fatal("the idle check is still scheduled with nothing to drop")
	}
	// A later put schedules a new check.
	p.Put(make([]byte, 64))
	p.mu.Lock()
	scheduled := p.timer != nil
	p.mu.Unlock()
	if !scheduled {
		t.Fatal("no idle check scheduled after a put")
	}
}
