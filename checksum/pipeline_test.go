package checksum

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"testing/iotest"
)

// newAsync is New with hashing on a goroutine past asyncAfter, whatever
// the number of CPUs of the machine running the test.
func newAsync(body io.Reader, h http.Header, trailer func() http.Header) (*Reader, error) {
	r, err := New(body, h, trailer)
	if r != nil {
		r.async = true
	}
	return r, err
}

// randomBody returns n deterministic pseudo-random bytes.
func randomBody(n int, seed uint64) []byte {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// jaggedReader returns reads of pseudo-random sizes (1 byte to 300 KiB),
// as a socket does, so that reads cross the chunk and threshold edges.
type jaggedReader struct {
	src io.Reader
	rnd *rand.Rand
}

func (j *jaggedReader) Read(p []byte) (int, error) {
	n := 1 + j.rnd.IntN(300<<10)
	if n < len(p) {
		p = p[:n]
	}
	return j.src.Read(p)
}

// Bodies above the threshold are hashed on the worker goroutine: the sums
// are those of the whole body, whatever the read sizes.
func TestReaderLargeBodies(t *testing.T) {
	sizes := []int{0, 1, chunkSize + 1, asyncAfter - 1, asyncAfter, asyncAfter + 1, asyncAfter + chunkSize*maxQueued + 7, 2*asyncAfter + 3}
	readers := map[string]func([]byte, int) io.Reader{
		"whole":    func(b []byte, _ int) io.Reader { return bytes.NewReader(b) },
		"one-byte": func(b []byte, _ int) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half":     func(b []byte, _ int) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"data-err": func(b []byte, _ int) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"jagged": func(b []byte, i int) io.Reader {
			return &jaggedReader{src: bytes.NewReader(b), rnd: rand.New(rand.NewPCG(uint64(i), 1))}
		},
	}
	for i, size := range sizes {
		body := randomBody(size, uint64(i))
		m := md5.Sum(body)
		s := sha256.Sum256(body)
		for name, mk := range readers {
			if name == "one-byte" && size > 4*chunkSize {
				continue // slow under -race; the larger sizes are covered by the others
			}
			h := http.Header{}
			h.Set("Content-MD5", base64.StdEncoding.EncodeToString(m[:]))
			h.Set("X-Amz-Checksum-Sha256", base64.StdEncoding.EncodeToString(s[:]))
			r, err := newAsync(mk(body, i), h, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("size %d, %s: read: %v", size, name, err)
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("size %d, %s: body changed", size, name)
			}
			if !bytes.Equal(r.MD5(), m[:]) {
				t.Errorf("size %d, %s: MD5 %x, want %x", size, name, r.MD5(), m)
			}
			if want := base64.StdEncoding.EncodeToString(s[:]); r.Checksums()[SHA256] != want {
				t.Errorf("size %d, %s: SHA256 %s, want %s", size, name, r.Checksums()[SHA256], want)
			}
		}
	}
}

// A large body that does not match its Content-MD5 or its trailing
// checksum fails at its last Read, as a small one does.
func TestReaderLargeMismatch(t *testing.T) {
	body := randomBody(3<<20+5, 7)
	bad := body[:len(body):len(body)]
	m := md5.Sum(body)
	crc := crc32.ChecksumIEEE(body)
	crcB64 := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})

	h := http.Header{}
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(m[:]))
	flipped := bytes.Clone(bad)
	flipped[len(flipped)-1] ^= 1 // the last byte: hashed last, on the worker
	r, _ := newAsync(bytes.NewReader(flipped), h, nil)
	if _, err := io.ReadAll(r); code(err) != "BadDigest" {
		t.Fatalf("Content-MD5 mismatch: %v, want BadDigest", err)
	}

	th := http.Header{}
	th.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	trailer := func() http.Header { return http.Header{"X-Amz-Checksum-Crc32": {crcB64}} }
	r, _ = newAsync(bytes.NewReader(flipped), th, trailer)
	if _, err := io.ReadAll(r); code(err) != "BadDigest" {
		t.Fatalf("trailing CRC32 mismatch: %v, want BadDigest", err)
	}
	r, _ = newAsync(bytes.NewReader(body), th, trailer)
	if _, err := io.ReadAll(r); err != nil {
		t.Fatalf("trailing CRC32 of the right body: %v", err)
	}
	if got := r.Checksums()[CRC32]; got != crcB64 {
		t.Fatalf("CRC32 %s, want %s", got, crcB64)
	}
}

// A body abandoned before its end (the client went away, a block write
// failed) leaves no hashing goroutine behind once its chunks are hashed,
// and a source error is never turned into success.
func TestReaderAbandoned(t *testing.T) {
	body := randomBody(2*asyncAfter, 9)
	boom := errors.New("connection reset")
	r, err := newAsync(io.MultiReader(bytes.NewReader(body), iotest.ErrReader(boom)), http.Header{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, boom) {
		t.Fatalf("read error %v, want %v", err, boom)
	}
	if r.q == nil {
		t.Fatal("a body of twice asyncAfter was hashed in Read")
	}
	r.q.wait() // returns only once the worker has ended
	if r.q.running || r.q.n != 0 {
		t.Fatalf("worker state after wait: running %v, %d chunks", r.q.running, r.q.n)
	}
	if r.MD5() != nil {
		t.Error("MD5 before the end of the body")
	}

	// Stopping half-way, without any error, also drains.
	r, _ = newAsync(bytes.NewReader(body), http.Header{}, nil)
	if _, err := io.ReadFull(r, make([]byte, asyncAfter+asyncAfter/2)); err != nil {
		t.Fatal(err)
	}
	r.q.wait()
	if r.q.running {
		t.Fatal("worker still running")
	}
}

// The queue hashes chunks in the order they were added and never holds
// more than maxQueued of them.
func TestHashQueueOrder(t *testing.T) {
	h := md5.New()
	q := newHashQueue(h)
	want := md5.New()
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		p := randomBody(1+rnd.IntN(3*chunkSize), uint64(100+i))
		want.Write(p)
		q.add(p)
		clear(p) // add copied it: the caller may reuse its buffer at once
		q.mu.Lock()
		if q.n > maxQueued {
			t.Fatalf("%d chunks pending", q.n)
		}
		q.mu.Unlock()
	}
	q.wait()
	if len(q.spare) > maxQueued {
		t.Fatalf("%d chunks allocated, want at most %d", len(q.spare), maxQueued)
	}
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Fatal("hashed out of order")
	}
}

func BenchmarkReaderMD5(b *testing.B) {
	body := randomBody(16<<20, 1)
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r, _ := newAsync(bytes.NewReader(body), http.Header{}, nil)
		for {
			if _, err := io.ReadFull(r, buf); err != nil {
				break
			}
		}
	}
}
