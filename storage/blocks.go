package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
)

// HashSize is the size of a block hash (SHA-256).
const HashSize = sha256.Size

// Hash names a block: the SHA-256 of its plaintext.
type Hash [HashSize]byte

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// HashOf returns the hash of data.
func HashOf(data []byte) Hash { return sha256.Sum256(data) }

// Errors returned by BlockStore.
var (
	// ErrCorrupt means a stored block no longer matches its hash.
	ErrCorrupt = errors.New("block corrupted")
	// ErrBlockNotFound means no file holds the block.
	ErrBlockNotFound = errors.New("block not found")
)

// compressedSuffix marks a block file holding zstd-compressed data.
const compressedSuffix = ".zst"

// BlockStore stores content-addressed blocks as files under one directory.
// It is safe for concurrent use.
type BlockStore struct {
	dir   string
	level int // zstd level; 0 stores blocks uncompressed

	enc *zstd.Encoder
	dec *zstd.Decoder

	// locks serialises the existence check of a write with the collector's
	// deletion of the same block.
	locks [256]sync.Mutex

	// OnCorrupt, if set, is called for every corrupted block found.
	OnCorrupt func(Hash)
	// OnStore, if set, is called after every successful Write (a new
	// file or a refreshed one). It must not block.
	OnStore func(Hash)
	// OnWriteError, if set, is called with the error of every failed
	// block write (a full disk, say). It must not block.
	OnWriteError func(error)

	bufs  *BufPool    // of pooledBlockSize, for ReadPooled (bufpool.go)
	cache *blockCache // nil: no cache

	direct   atomic.Bool // SetDirectWrites
	noDirect atomic.Bool // the file system refused O_DIRECT (direct_linux.go)
	noXattr  atomic.Bool // a check record could not be added to a file
}

// OpenBlockStore opens the block directory dir. level is the zstd
// compression level (0 for none, 1 to 19).
func OpenBlockStore(dir string, level int) (*BlockStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s := &BlockStore{dir: dir, level: level, bufs: NewBufPool(pooledBlockSize, idleReadBuffers, idleBufferTime)}
	var err error
	if level > 0 {
		s.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd encoder: %w", err)
		}
	}
	s.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return s, nil
}

// SetCacheSize keeps up to size bytes of blocks that are read again and
// again in memory, verified, so that they are served without reading and
// hashing them each time. 0 disables the cache. Call it before use.
func (s *BlockStore) SetCacheSize(size int64) {
	s.cache = nil
	if size > 0 {
		s.cache = newBlockCache(size)
	}
}

// SetDirectWrites chooses how block files are written. Off (the default),
// through the page cache: a block read soon after it was written (a GET of
// a fresh upload) comes from memory. On, with O_DIRECT where the buffer,
// the length and the file system allow it (Linux only): an upload costs
// much less CPU (measured: 6.9 instead of 10.3 s of server CPU per GiB of
// multipart upload) and does not push other data out of the page cache,
// but reads of fresh blocks go to the device. Durability is the same
// (fsync either way).
func (s *BlockStore) SetDirectWrites(on bool) { s.direct.Store(on) }

// Dir returns the directory the blocks live in.
func (s *BlockStore) Dir() string { return s.dir }

func (s *BlockStore) path(h Hash) string {
	x := h.String()
	return filepath.Join(s.dir, x[0:2], x[2:4], x)
}

func (s *BlockStore) lock(h Hash) *sync.Mutex { return &s.locks[h[0]] }

// Write stores data and returns its hash. It returns only once the block is
// on stable storage. Writing a block that is already stored only refreshes
// its modification time (which keeps the collector away from it).
func (s *BlockStore) Write(ctx context.Context, data []byte) (Hash, error) {
	h := HashOf(data)
	return h, s.WriteHashed(ctx, h, data)
}

// WriteHashed is Write for a caller that already computed h = HashOf(data)
// (a replicated write hashes each block once, for its address, and hands
// the hash down). A wrong h stores data under another block's name: only
// pass a hash of exactly these bytes.
func (s *BlockStore) WriteHashed(ctx context.Context, h Hash, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := s.path(h)
	mu := s.lock(h)
	mu.Lock()
	now := time.Now()
	for _, candidate := range []string{p, p + compressedSuffix} {
		if err := os.Chtimes(candidate, now, now); err == nil {
			mu.Unlock()
			s.stored(h)
			return nil
		}
	}
	mu.Unlock()

	payload, suffix := data, ""
	if s.enc != nil {
		c := s.enc.EncodeAll(data, make([]byte, 0, len(data)/2))
		if len(c) < len(data)*9/10 { // keep compression only when it pays
			payload, suffix = c, compressedSuffix
		}
	}
	if err := s.writeFile(p+suffix, h, payload); err != nil {
		if s.OnWriteError != nil {
			s.OnWriteError(err)
		}
		return fmt.Errorf("write block %s: %w", h, err)
	}
	s.stored(h)
	return nil
}

func (s *BlockStore) stored(h Hash) {
	if s.OnStore != nil {
		s.OnStore(h)
	}
}

// writeFile writes payload, the file of block h, to path atomically and
// durably, with its check record (see checkAttr).
func (s *BlockStore) writeFile(path string, h Hash, payload []byte) error {
	dir := filepath.Dir(path)
	if err := ensureDir(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := s.writePayload(f, payload); err != nil {
		return err
	}
	_ = setCheckAttr(f, encodeCheck(h, payload)) // none: SHA-256 on every read
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

// ensureDir creates dir and its parent below the store root, fsyncing the
// parents so the new entries survive a crash.
func ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := syncDir(filepath.Dir(parent)); err != nil {
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// Read returns the block's plaintext, verified against its hash. A
// mismatch returns ErrCorrupt (and calls OnCorrupt); a missing block
// returns ErrBlockNotFound.
func (s *BlockStore) Read(ctx context.Context, h Hash) ([]byte, error) {
	data, release, err := s.ReadPooled(ctx, h)
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(data)
	release()
	return out, nil
}

// pooledBlockSize is the capacity of pooled read buffers: blocks up to
// this size are read without allocating.
const pooledBlockSize = 1 << 20

// idleReadBuffers bounds the read buffers kept for reuse (8 MiB), and
// idleBufferTime is how long they are kept once no read takes one.
const (
	idleReadBuffers = 8
	idleBufferTime  = 30 * time.Second
)

// ReadPooled is Read into a reused buffer: the caller must call release
// once it no longer uses data (and not touch data afterwards). Reading
// many blocks this way does not churn the garbage collector.
func (s *BlockStore) ReadPooled(ctx context.Context, h Hash) (data []byte, release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if s.cache != nil {
		if data, ok := s.cache.get(h); ok {
			return data, func() {}, nil
		}
	}
	data, release, err = s.readDisk(h, false)
	if err == nil && s.cache != nil && s.cache.offer(h, data) {
		release = func() {} // the buffer now belongs to the cache
	}
	return data, release, err
}

// readDisk reads and verifies a block from its file, bypassing the cache.
// A file that matches its check record is trusted without hashing unless
// full is set (see checkAttr); anything else is checked against h, and a
// file that passes without a matching record gets one (the bytes just
// hashed are the file's, read through the same descriptor).
func (s *BlockStore) readDisk(h Hash, full bool) (data []byte, release func(), err error) {
	p := s.path(h)
	f, err := os.Open(p)
	compressed := false
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.Open(p + compressedSuffix)
		compressed = true
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("block %s: %w", h, ErrBlockNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read block %s: %w", h, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read block %s: %w", h, err)
	}
	buf := s.getBuf(st.Size())
	release = func() { s.putBuf(buf) }
	n, err := io.ReadFull(f, buf[:st.Size()])
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("read block %s: %w", h, err)
	}
	data = buf[:n]
	var recBuf [checkRecordSize]byte
	matched := checkMatches(getCheckAttr(f, &recBuf), h, data)
	checked := !full && matched
	var missing []byte // the record to give the file once its hash checks
	if !matched && !s.noXattr.Load() {
		missing = encodeCheck(h, data)
	}
	if compressed {
		plain := s.getBuf(pooledBlockSize)
		out, err := s.dec.DecodeAll(data, plain[:0])
		release()
		if err != nil {
			s.putBuf(plain)
			s.corrupt(h)
			return nil, nil, fmt.Errorf("block %s: decompress: %v: %w", h, err, ErrCorrupt)
		}
		data = out
		if len(out) > 0 && &out[0] == &plain[0] {
			release = func() { s.putBuf(plain) }
		} else {
			s.putBuf(plain) // the decoder allocated a larger buffer
			release = func() {}
		}
	}
	if !checked && HashOf(data) != h {
		release()
		s.corrupt(h)
		return nil, nil, fmt.Errorf("block %s: %w", h, ErrCorrupt)
	}
	if missing != nil && setCheckAttr(f, missing) != nil {
		s.noXattr.Store(true) // read-only or no user xattrs: stop trying
	}
	return data, release, nil
}

// getBuf returns a buffer of at least size bytes, pooled when small enough.
func (s *BlockStore) getBuf(size int64) []byte {
	if size <= pooledBlockSize {
		return s.bufs.Get()
	}
	return make([]byte, size)
}

func (s *BlockStore) putBuf(b []byte) {
	s.bufs.Put(b)
}

func (s *BlockStore) corrupt(h Hash) {
	if s.OnCorrupt != nil {
		s.OnCorrupt(h)
	}
}

// Has reports whether a file for the block exists (it is not verified).
func (s *BlockStore) Has(h Hash) bool {
	p := s.path(h)
	for _, candidate := range []string{p, p + compressedSuffix} {
		if _, err := os.Stat(candidate); err == nil {
			return true
		}
	}
	return false
}

// deleteIfIdle removes the block's file if it was not written since
// notAfter. It reports whether a file was removed.
func (s *BlockStore) deleteIfIdle(h Hash, notAfter time.Time) (bool, error) {
	mu := s.lock(h)
	mu.Lock()
	defer mu.Unlock()
	if s.cache != nil {
		s.cache.remove(h)
	}
	p := s.path(h)
	removed := false
	for _, candidate := range []string{p, p + compressedSuffix} {
		st, err := os.Stat(candidate)
		if err != nil {
			continue
		}
		if st.ModTime().After(notAfter) {
			return false, nil
		}
		if err := os.Remove(candidate); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("delete block %s: %w", h, err)
		}
		removed = true
	}
	return removed, nil
}

// Walk calls fn for every stored block hash. It stops at the first error.
func (s *BlockStore) Walk(ctx context.Context, fn func(Hash) error) error {
	return filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		name, _ = strings.CutSuffix(name, compressedSuffix)
		raw, err := hex.DecodeString(name)
		if err != nil || len(raw) != HashSize {
			return nil // temp files and strangers
		}
		var h Hash
		copy(h[:], raw)
		return fn(h)
	})
}

// Scrub re-reads every block and reports how many were checked and how
// many were corrupted. Corrupted files are moved aside (suffix .corrupted)
// so that a replica can supply the block again; a file that cannot be
// moved aside ends the scrub with that error.
func (s *BlockStore) Scrub(ctx context.Context, progress func(checked, corrupted int)) (checked, corrupted int, err error) {
	err = s.Walk(ctx, func(h Hash) error {
		_, rerr := s.Verify(h)
		checked++
		if errors.Is(rerr, ErrCorrupt) {
			corrupted++
			if err := s.Quarantine(h); err != nil {
				return err
			}
		} else if rerr != nil && !errors.Is(rerr, ErrBlockNotFound) {
			return rerr
		}
		if progress != nil && checked%1000 == 0 {
			progress(checked, corrupted)
		}
		return nil
	})
	return checked, corrupted, err
}

// Verify reads the block from disk (never the cache) and checks its
// SHA-256, whatever its check record says. It returns the size of its
// plaintext; ErrCorrupt (OnCorrupt is called) or ErrBlockNotFound
// otherwise.
func (s *BlockStore) Verify(h Hash) (int, error) {
	data, release, err := s.readDisk(h, true)
	if err != nil {
		return 0, err
	}
	n := len(data)
	release()
	return n, nil
}

// FileSize returns the size on disk of the block's file (compressed or
// not), for rate limits; 0 if there is none.
func (s *BlockStore) FileSize(h Hash) int64 {
	p := s.path(h)
	for _, candidate := range []string{p, p + compressedSuffix} {
		if st, err := os.Stat(candidate); err == nil {
			return st.Size()
		}
	}
	return 0
}

// Quarantine moves the block's files aside (suffix .corrupted, replacing
// an older one) so that the block can be written again from a good copy.
// A block without a file is no error.
func (s *BlockStore) Quarantine(h Hash) error {
	mu := s.lock(h)
	mu.Lock()
	defer mu.Unlock()
	if s.cache != nil {
		s.cache.remove(h)
	}
	p := s.path(h)
	for _, c := range []string{p, p + compressedSuffix} {
		err := os.Rename(c, c+".corrupted")
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("move corrupt block %s aside: %w", h, err)
		}
	}
	return nil
}

// Delete removes the block's files, whatever their age. It is for a block
// whose other holders confirmed their copies (resync offload); the
// collector uses its own age-checked deletion.
func (s *BlockStore) Delete(h Hash) error {
	mu := s.lock(h)
	mu.Lock()
	defer mu.Unlock()
	if s.cache != nil {
		s.cache.remove(h)
	}
	p := s.path(h)
	for _, c := range []string{p, p + compressedSuffix} {
		if err := os.Remove(c); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete block %s: %w", h, err)
		}
	}
	return nil
}

// ModTime returns the modification time of the block's file, and false
// when there is none.
func (s *BlockStore) ModTime(h Hash) (time.Time, bool) {
	p := s.path(h)
	for _, candidate := range []string{p, p + compressedSuffix} {
		if st, err := os.Stat(candidate); err == nil {
			return st.ModTime(), true
		}
	}
	return time.Time{}, false
}
