package model

import (
	"runtime"
	"testing"
)

// Free buffers survive garbage collections, up to keepBlockBufs of them.
func TestBlockBufsKeepAcrossGC(t *testing.T) {
	var p blockBufs
	const size = 4 << 10
	var bufs [][]byte
	for i := 0; i < keepBlockBufs+3; i++ {
		b := p.get(size)
		if len(b) != size || cap(b) != size {
			t.Fatalf("get: len %d cap %d", len(b), cap(b))
		}
		bufs = append(bufs, b)
	}
	kept := map[*byte]bool{}
	for _, b := range bufs {
		p.put(b[:10], size) // any length: the capacity counts
	}
	for _, b := range bufs[:keepBlockBufs] {
		kept[&b[:1][0]] = true
	}
	if len(p.free) != keepBlockBufs {
		t.Fatalf("%d buffers in the free list, want %d", len(p.free), keepBlockBufs)
	}
	runtime.GC()
	runtime.GC()
	for i := 0; i < keepBlockBufs; i++ {
		b := p.get(size)
		if len(b) != size {
			t.Fatalf("get after GC: len %d", len(b))
		}
		if !kept[&b[0]] {
			t.Fatalf("buffer %d after GC is not one of those kept", i)
		}
	}
	p.put(make([]byte, 10), size) // another size: dropped
	if len(p.free) != 0 {
		t.Fatal("a buffer of another size was kept")
	}
}
