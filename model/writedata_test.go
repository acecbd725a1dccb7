package model

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// flakyBlocks fails the write of block number failAt (counting from 1;
// 0: never) and counts writes in flight.
type flakyBlocks struct {
	Blocks
	failAt   int64
	writes   atomic.Int64
	inFlight atomic.Int64
	maxSeen  atomic.Int64
}

var errDiskGone = errors.New("disk gone")

func (b *flakyBlocks) Write(ctx context.Context, data []byte) (storage.Hash, error) {
	n := b.inFlight.Add(1)
	defer b.inFlight.Add(-1)
	for {
		m := b.maxSeen.Load()
		if n <= m || b.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if b.writes.Add(1) == b.failAt {
		return storage.Hash{}, errDiskGone
	}
	return b.Blocks.Write(ctx, data)
}

// openModelBlocks is openTestModel with the block store wrapped by wrap.
func openModelBlocks(t testing.TB, blockSize int, wrap func(Blocks) Blocks) (*Model, *table.Local) {
	t.Helper()
	e := openTestModelWith(t, t.TempDir(), nil, blockSize, wrap)
	return e.m, e.local
}

func randomData(n int, seed byte) []byte {
	var key [32]byte
	key[0] = seed
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// Every block of a large object is recorded, at its offset, whatever the
// read sizes of the body, and reads back as written.
func TestWriteDataRecordsEveryBlock(t *testing.T) {
	const bs = 16 << 10
	fb := &flakyBlocks{}
	m, _ := openModelBlocks(t, bs, func(b Blocks) Blocks { fb.Blocks = b; return fb })
	ctx := context.Background()
	for i, size := range []int{3*bs + 1, 40 * bs, 40*bs - 1, bs + 1} {
		data := randomData(size, byte(i))
		id := NewUUID()
		var first []byte
		rest := data
		if i%2 == 1 { // the first block already read, as PutObject does
			first = m.getBuf()
			copy(first, data)
			rest = data[bs:]
		}
		n, err := m.writeData(ctx, id, first, iotest.HalfReader(bytes.NewReader(rest)), nil)
		if err != nil || n != int64(size) {
			t.Fatalf("writeData: %d, %v", n, err)
		}
		entries, err := m.blocklists.Range(ctx, []byte(id), table.RangeQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if want := (size + bs - 1) / bs; len(entries) != want {
			t.Fatalf("size %d: %d entries, want %d", size, len(entries), want)
		}
		var got []byte
		for j, e := range entries {
			if e.Offset != int64(j*bs) {
				t.Fatalf("entry %d at offset %d", j, e.Offset)
			}
			var h storage.Hash
			copy(h[:], e.Hash)
			b, release, err := m.blocks.ReadPooled(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b...)
			release()
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: blocks do not read back as written", size)
		}
	}
	if max := fb.maxSeen.Load(); max > blockWriters {
		t.Fatalf("%d block writes at once, want at most %d", max, blockWriters)
	}
}

// A failed block write fails the upload with that error, ends every
// goroutine of the upload and leaves its buffers to the pool.
func TestWriteDataBlockFailure(t *testing.T) {
	const bs = 16 << 10
	for _, failAt := range []int64{1, 2, 7, 20} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			fb := &flakyBlocks{failAt: failAt}
			m, _ := openModelBlocks(t, bs, func(b Blocks) Blocks { fb.Blocks = b; return fb })
			_, err := m.writeData(context.Background(), NewUUID(), nil, bytes.NewReader(randomData(30*bs, 1)), nil)
			if !errors.Is(err, errDiskGone) {
				t.Fatalf("writeData: %v, want %v", err, errDiskGone)
			}
			if n := fb.inFlight.Load(); n != 0 {
				t.Fatalf("%d block writes still running after writeData returned", n)
			}
		})
	}
}

// A body that fails to read fails the upload with its error; a caller's
// context ending stops it.
func TestWriteDataBodyErrorAndCancel(t *testing.T) {
	const bs = 16 << 10
	m, _ := openModelBlocks(t, bs, func(b Blocks) Blocks { return b })
	boom := errors.New("connection reset")
	body := io.MultiReader(bytes.NewReader(randomData(10*bs+5, 2)), iotest.ErrReader(boom))
	if _, err := m.writeData(context.Background(), NewUUID(), nil, body, nil); !errors.Is(err, boom) {
		t.Fatalf("writeData: %v, want %v", err, boom)
	}

	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAfter{src: bytes.NewReader(randomData(50*bs, 3)), left: 20 * bs, cancel: cancel}
	if _, err := m.writeData(ctx, NewUUID(), nil, r, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("writeData after cancel: %v, want context.Canceled", err)
	}
}

// cancelAfter cancels its context once left bytes were read.
type cancelAfter struct {
	src    io.Reader
	left   int
	cancel func()
	once   sync.Once
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.src.Read(p)
	c.left -= n
	if c.left <= 0 {
		c.once.Do(c.cancel)
	}
	return n, err
}

// BenchmarkPutObject16MiB stores 16 MiB objects of 1 MiB blocks on the
// test's temporary directory (real files and fsyncs).
func BenchmarkPutObject16MiB(b *testing.B) {
	const size = 16 << 20
	m, _ := openModelBlocks(b, 1<<20, func(bl Blocks) Blocks { return bl })
	data := randomData(size, 9)
	sum := md5.Sum(data)
	etag := hex.EncodeToString(sum[:])
	b.SetBytes(size)
	i := 0
	for b.Loop() {
		i++
		for j := 0; j < size; j += 1 << 20 { // new blocks each time
			data[j], data[j+1] = byte(i), byte(i>>8)
		}
		_, err := m.PutObject(context.Background(), PutObjectInput{BucketID: "b", Key: "k", Body: bytes.NewReader(data), Size: size,
			Digest: func() (string, map[string]string) { return etag, nil }})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// A body whose last Read returns bytes with an error (a digest mismatch
// at the end) has the block holding them not stored: a refused body of
// less than a block leaves no block behind.
func TestWriteDataFailedBlockNotStored(t *testing.T) {
	const bs = 16 << 10
	m, _ := openModelBlocks(t, bs, func(b Blocks) Blocks { return b })
	bad := errors.New("digest mismatch")
	data := randomData(bs/2, 9)
	body := iotest.DataErrReader(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(bad)))
	if _, err := m.writeData(context.Background(), NewUUID(), nil, body, nil); !errors.Is(err, bad) {
		t.Fatalf("writeData: %v, want %v", err, bad)
	}
	if m.blocks.(*storage.BlockStore).Has(storage.HashOf(data)) {
		t.Fatal("the block of a failed body was stored")
	}
}
