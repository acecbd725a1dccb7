package model

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/garage-web/garage-web/storage"
)

// memBlocks keeps blocks in memory and counts the read buffers handed out
// and not yet released.
type memBlocks struct {
	mu     sync.Mutex
	blocks map[storage.Hash][]byte
	live   int // read buffers not released
	reads  int // ReadPooled calls that returned a block
}

func newMemBlocks() *memBlocks { return &memBlocks{blocks: map[storage.Hash][]byte{}} }

func (b *memBlocks) Write(_ context.Context, data []byte) (storage.Hash, error) {
	h := storage.HashOf(data)
	b.mu.Lock()
	b.blocks[h] = bytes.Clone(data)
	b.mu.Unlock()
	return h, nil
}

func (b *memBlocks) ReadPooled(ctx context.Context, h storage.Hash) ([]byte, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.blocks[h]
	if !ok {
		return nil, nil, storage.ErrBlockNotFound
	}
	b.live++
	b.reads++
	var once sync.Once
	return bytes.Clone(data), func() {
		once.Do(func() {
			b.mu.Lock()
			b.live--
			b.mu.Unlock()
		})
	}, nil
}

func (b *memBlocks) counts() (live, reads int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.live, b.reads
}

// A GET holds at most two blocks however slowly its client reads: the
// block being sent and the next one, fetched while it is sent. The
// reader below stops after its first byte; once every goroutine of the
// read is blocked (synctest.Wait), the fetcher must be waiting with one
// block, not have fetched further.
func TestOpenOneBlockInFlight(t *testing.T) {
	mem := newMemBlocks()
	e := openTestModelWith(t, t.TempDir(), nil, 64<<10, func(Blocks) Blocks { return mem })
	data := make([]byte, 8*(64<<10)) // 8 blocks, all distinct
	for i := range data {
		data[i] = byte(i / (64 << 10) * 37)
	}
	v := put(t, e.m, "b", "k", data)

	synctest.Test(t, func(t *testing.T) {
		r, err := e.m.Open(context.Background(), v, 0, v.Meta.Size)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close() // on failure: no fetcher left in the bubble
		var one [1]byte
		if _, err := io.ReadFull(r, one[:]); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		live, reads := mem.counts()
		if live != 2 || reads != 2 {
			t.Errorf("slow reader after its first byte: %d blocks held, %d read; want 2 and 2 (the current block and the next)", live, reads)
		}
		// Reading on, the bound holds at every block.
		buf := make([]byte, 64<<10)
		got := append([]byte(nil), one[:]...)
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			if live, _ := mem.counts(); live > 2 {
				t.Fatalf("at byte %d: %d blocks held, want at most 2", len(got), live)
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatal("read back other bytes")
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if live, _ := mem.counts(); live != 0 {
			t.Errorf("after Close: %d blocks still held", live)
		}
	})
}

// Closing a reader that stopped early gives back every block it fetched.
func TestOpenCloseEarlyReleases(t *testing.T) {
	mem := newMemBlocks()
	e := openTestModelWith(t, t.TempDir(), nil, 64<<10, func(Blocks) Blocks { return mem })
	data := bytes.Repeat([]byte("0123456789abcdef"), 4*(64<<10)/16+5)
	v := put(t, e.m, "b", "k", data)
	synctest.Test(t, func(t *testing.T) {
		r, err := e.m.Open(context.Background(), v, 100, v.Meta.Size-100)
		if err != nil {
			t.Fatal(err)
		}
		var one [1]byte
		if _, err := io.ReadFull(r, one[:]); err != nil || one[0] != data[100] {
			t.Fatalf("first byte %q, %v", one[0], err)
		}
		synctest.Wait()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if live, _ := mem.counts(); live != 0 {
			t.Errorf("after Close: %d blocks still held", live)
		}
	})
}
