package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Reference is a physical limit of the machine measured in the same run.
type Reference struct {
	Name      string        `json:"name"`
	Bytes     int64         `json:"bytes"`
	Duration  time.Duration `json:"duration_ns"`
	MiBPerSec float64       `json:"mib_per_sec"`
	Note      string        `json:"note,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// Reference names, used to relate S3 figures to them.
const (
	RefDiskWrite      = "disk write + one fsync"
	RefDiskWriteBlock = "disk write + fsync per block"
	RefDiskRead       = "disk read (page cache warm)"
	RefLoopback       = "loopback TCP (1 stream)"
)

func newRef(name string, n int64, d time.Duration, err error) Reference {
	r := Reference{Name: name, Bytes: n, Duration: d}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if d > 0 {
		r.MiBPerSec = float64(n) / (1 << 20) / d.Seconds()
	}
	return r
}

// DiskRefs writes sequentially to a file in dir in chunks of block bytes,
// twice: size/4 bytes with an fsync after every block (as a durable block
// store does), then size bytes with a single fsync at the end; then it
// reads the size bytes back. The read is from the page cache, as is a store's GET of
// freshly written data. The file is removed.
func DiskRefs(ctx context.Context, dir string, size, block int64, p *Payload) []Reference {
	path := filepath.Join(dir, "bench-disk-ref")
	defer os.Remove(path)
	buf := make([]byte, block)
	write := func(syncEach bool) (int64, time.Duration, error) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		t0 := time.Now()
		var n int64
		for n < size && ctx.Err() == nil {
			c := min(block, size-n)
			p.Fill(buf[:c], 7, n)
			if _, err := f.Write(buf[:c]); err != nil {
				return n, 0, err
			}
			n += c
			if syncEach {
				if err := f.Sync(); err != nil {
					return n, 0, err
				}
			}
		}
		if err := f.Sync(); err != nil {
			return n, 0, err
		}
		return n, time.Since(t0), ctx.Err()
	}
	var refs []Reference
	// fsync per block is slow on most disks: a quarter of the bytes is
	// enough to measure its rate.
	full := size
	size = max(block, size/4)
	n, d, err := write(true)
	r := newRef(RefDiskWriteBlock, n, d, err)
	r.Note = fmt.Sprintf("%s in %s chunks", SizeName(size), SizeName(block))
	refs = append(refs, r)
	size = full
	n, d, err = write(false)
	r = newRef(RefDiskWrite, n, d, err)
	r.Note = fmt.Sprintf("%s in %s chunks", SizeName(size), SizeName(block))
	refs = append(refs, r)
	t0 := time.Now()
	n, err = readAll(path, buf)
	refs = append(refs, newRef(RefDiskRead, n, time.Since(t0), err))
	return refs
}

func readAll(path string, buf []byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.CopyBuffer(io.Discard, f, buf)
}

// LoopbackRef sends size bytes over one loopback TCP connection.
func LoopbackRef(ctx context.Context, size int64) Reference {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return newRef(RefLoopback, 0, 0, err)
	}
	defer l.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- 0
			return
		}
		defer c.Close()
		n, _ := io.CopyBuffer(io.Discard, c, make([]byte, 256<<10))
		got <- n
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return newRef(RefLoopback, 0, 0, err)
	}
	buf := make([]byte, 256<<10)
	t0 := time.Now()
	var sent int64
	for sent < size && ctx.Err() == nil {
		w, err := c.Write(buf[:min(int64(len(buf)), size-sent)])
		sent += int64(w)
		if err != nil {
			c.Close()
			return newRef(RefLoopback, sent, 0, err)
		}
	}
	c.Close()
	n := <-got
	return newRef(RefLoopback, n, time.Since(t0), ctx.Err())
}
