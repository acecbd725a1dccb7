package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Scenario is one workload. Run must return within the context's deadline
// (plus one request timeout) and must not fail for a slow target: slowness
// is a figure, not an error. An error means the scenario could not run.
type Scenario interface {
	Name() string
	Run(ctx context.Context, env *Env) ([]Result, error)
}

// Env is what a scenario runs against: one target, its clients, a bucket
// and the target's process sampler. Scenarios run one at a time on an Env;
// key pools let a later scenario read what an earlier one wrote.
type Env struct {
	Target  *Target
	Clients []*s3.Client // one per endpoint
	Bucket  string
	Sampler *Sampler
	Logf    func(format string, args ...any)

	pools *pools
}

type pools struct {
	mu sync.Mutex
	m  map[string][]string
}

// WithBucket is the same env on another bucket, sharing the key pools.
func (e *Env) WithBucket(bucket string) *Env {
	e.init()
	return &Env{Target: e.Target, Clients: e.Clients, Bucket: bucket, Sampler: e.Sampler, Logf: e.Logf, pools: e.pools}
}

func (e *Env) init() {
	if e.pools == nil {
		e.pools = &pools{m: map[string][]string{}}
	}
}

// Client is the client for worker i (round-robin over endpoints).
func (e *Env) Client(i int) *s3.Client { return e.Clients[i%len(e.Clients)] }

// SetPool records the keys a scenario wrote under name.
func (e *Env) SetPool(name string, keys []string) {
	e.init()
	e.pools.mu.Lock()
	defer e.pools.mu.Unlock()
	e.pools.m[name] = keys
}

// Pool returns the keys recorded under name (nil if none).
func (e *Env) Pool(name string) []string {
	e.init()
	e.pools.mu.Lock()
	defer e.pools.mu.Unlock()
	return e.pools.m[name]
}

func (e *Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// newResult is a Result of this env's target.
func (e *Env) newResult(scenario, op string, clients int, size int64) Result {
	return Result{Target: e.Target.Name, Scenario: scenario, Op: op, Clients: clients, Size: size}
}

// Load bounds a closed-loop load: Clients workers issue operations back to
// back until Count operations were started (0: no limit) or Duration has
// passed (0: no limit), whichever comes first. One of them must be set.
type Load struct {
	Clients  int
	Count    int64
	Duration time.Duration
}

// opFunc performs operation number i for worker w and returns the payload
// bytes moved.
type opFunc func(ctx context.Context, w int, i int64) (int64, error)

// maxErrors stops a load early: past this many errors, and more errors
// than successes, the target is failing and the figure is meaningless.
const maxErrors = 50

// run executes the load, measuring RSS and CPU over it, and fills res.
func (l Load) run(ctx context.Context, env *Env, res *Result, op opFunc) {
	if l.Clients <= 0 {
		l.Clients = 1
	}
	if l.Count <= 0 && l.Duration <= 0 {
		panic("bench: Load without Count or Duration")
	}
	var next, errs, oks atomic.Int64
	deadline := time.Time{}
	if l.Duration > 0 {
		deadline = time.Now().Add(l.Duration)
	}
	recs := make([]*Recorder, l.Clients)
	end := env.Sampler.Window()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range l.Clients {
		recs[w] = &Recorder{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := recs[w]
			for ctx.Err() == nil {
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				if e := errs.Load(); e >= maxErrors && e > oks.Load() {
					return
				}
				i := next.Add(1) - 1
				if l.Count > 0 && i >= l.Count {
					return
				}
				t0 := time.Now()
				n, err := op(ctx, w, i)
				if err != nil && ctx.Err() != nil {
					return // cancelled, not a target error
				}
				rec.Observe(time.Since(t0), n, err)
				if err != nil {
					errs.Add(1)
				} else {
					oks.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.PeakRSS, res.ServerCPU = end()
	res.PeakAnon = env.Sampler.PeakAnon()
	all := &Recorder{}
	all.Merge(recs...)
	all.Fill(res, elapsed)
	if err := all.FirstError(); err != nil {
		res.Note = fmt.Sprintf("first error: %v", err)
		if res.Ops == 0 {
			res.Unavailable = res.Note
		}
	}
	if ctx.Err() != nil {
		res.Note = joinNote(res.Note, "cut short by the suite deadline")
	}
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// Payload makes object bodies that are unique per (stream, offset) so that
// content-addressed stores cannot deduplicate them: a shared random base,
// with every 4 KiB chunk stamped with its stream id and offset.
type Payload struct{ base []byte }

// payloadBase is the size of the shared random base.
const payloadBase = 4 << 20

// stampEvery is the stamping period: smaller than any block size.
const stampEvery = 4 << 10

// NewPayload makes the shared random base.
func NewPayload(seed uint64) *Payload {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1, 2, 3})
	b := make([]byte, payloadBase)
	r.Read(b)
	return &Payload{base: b}
}

// Fill writes the bytes of stream id from offset off into p.
func (p *Payload) Fill(dst []byte, id uint64, off int64) {
	for len(dst) > 0 {
		bo := int(off % payloadBase)
		n := copy(dst, p.base[bo:])
		// Stamp the chunks that start inside this copy.
		for c := (off + stampEvery - 1) / stampEvery * stampEvery; c < off+int64(n); c += stampEvery {
			i := int(c - off)
			var stamp [16]byte
			binary.LittleEndian.PutUint64(stamp[:8], id)
			binary.LittleEndian.PutUint64(stamp[8:], uint64(c))
			copy(dst[i:min(i+16, n)], stamp[:])
		}
		dst = dst[n:]
		off += int64(n)
	}
}

// Reader is a stream of size bytes of stream id.
func (p *Payload) Reader(id uint64, size int64) *PayloadReader {
	return &PayloadReader{p: p, id: id, size: size}
}

// PayloadReader reads one payload stream. It is an io.Reader and io.Seeker.
type PayloadReader struct {
	p    *Payload
	id   uint64
	size int64
	off  int64
}

func (r *PayloadReader) Read(b []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), r.size-r.off)]
	r.p.Fill(b, r.id, r.off)
	r.off += int64(len(b))
	return len(b), nil
}

func (r *PayloadReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case 0:
	case 1:
		offset += r.off
	case 2:
		offset += r.size
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek before start")
	}
	r.off = offset
	return offset, nil
}

// ReadAt lets uploaders cut parts without copying.
func (r *PayloadReader) ReadAt(b []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	n := min(int64(len(b)), r.size-off)
	r.p.Fill(b[:n], r.id, off)
	if n < int64(len(b)) {
		return int(n), io.EOF
	}
	return int(n), nil
}
