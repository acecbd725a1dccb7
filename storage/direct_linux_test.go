//go:build linux

package storage

import (
	"bytes"
	"context"
	"testing"
	"unsafe"
)

// alignedBuf returns n bytes starting at a directAlign boundary.
func alignedBuf(n int) []byte {
	raw := make([]byte, n+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&raw[0]))%directAlign)) % directAlign
	return raw[off : off+n]
}

func TestWriteDirectAndBuffered(t *testing.T) {
	ctx := context.Background()
	s := mustBlockStore(t, 0)
	s.SetDirectWrites(true)
	aligned := alignedBuf(1 << 20)
	for i := range aligned {
		aligned[i] = byte(i * 31 >> 3)
	}
	if !directAligned(aligned) {
		t.Fatal("aligned buffer not seen as aligned")
	}
	unaligned := bytes.Clone(aligned[1 : 1+3*directAlign])
	unaligned[0] ^= 0xff // another block
	odd := aligned[:5000]
	if directAligned(odd) {
		t.Fatal("a length that is not a multiple of the alignment passed")
	}
	for _, data := range [][]byte{aligned, unaligned, odd} {
		h, err := s.Write(ctx, data)
		if err != nil {
			t.Fatalf("write %d bytes: %v", len(data), err)
		}
		got, err := s.Read(ctx, h)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d of %d bytes, err %v", len(got), len(data), err)
		}
		if _, err := s.Verify(h); err != nil {
			t.Fatalf("verify: %v", err)
		}
	}
	if s.noDirect.Load() {
		t.Logf("the file system of %s refused O_DIRECT: blocks were written through the page cache", s.Dir())
	}
}
