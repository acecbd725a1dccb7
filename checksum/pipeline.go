package checksum

import (
	"hash"
	"sync"
)

// Hashing large bodies off the reading goroutine.
//
// MD5 (for the ETag) is the costliest hash of an upload (about a quarter
// of the server's CPU per uploaded byte in the profiles of
// docs/benchmarks.md). Done in Read it is serial with the socket read and
// the SigV4 payload hash of the same stream. With enough CPUs
// (asyncMinProcs), once a body passed asyncAfter bytes, Read copies what
// it read into small chunks and a hashing goroutine writes them, in
// order, to the hashes, while the caller goes on reading; the Read that reaches the end of the body waits for the
// hashing to catch up before it compares the sums, so the contract (a
// mismatch is the error of the last Read) does not change.
//
// Memory: at most maxQueued chunks of chunkSize wait or are being hashed
// per body (256 KiB), then Read waits for the hasher (back-pressure).
// The goroutine exists only while chunks wait: it returns when the queue
// is empty, so a body that is never read to its end leaves nothing
// running once the queued chunks are hashed.
const (
	// asyncAfter is how much of a body is hashed in Read before hashing
	// moves to a goroutine: bodies of up to one (default) block never
	// start one. Those are many at once when they are many (16 clients
	// of 1 MiB PUTs keep both cores busy), and the copy would only add
	// CPU; a large body is one long stream whose latency the overlap cuts.
	asyncAfter = 1 << 20
	// asyncMinProcs is the fewest usable CPUs (GOMAXPROCS) with which
	// large bodies are hashed on a goroutine. Below, every core is busy
	// with the uploads' own work anyway (measured on 2 cores: the copy
	// and the hand-offs cost 3-4 % more server CPU per uploaded byte and
	// 1 GiB multipart uploads got slower), and Read hashes as before.
	asyncMinProcs = 4
	// chunkSize is the size of one queued copy.
	chunkSize = 64 << 10
	// maxQueued is the most chunks queued or being hashed per body.
	maxQueued = 4
)

// hashQueue feeds byte slices to hashes on a goroutine of its own, in the
// order they were added. It is used by one reader goroutine (add, wait);
// the hashing goroutine is started when work arrives and ends when there
// is none. Its chunks are allocated on first use and reused for the rest
// of the body (a shared pool loses them at every other garbage
// collection, which under memory_limit is many times a second).
type hashQueue struct {
	hashes []hash.Hash

	mu      sync.Mutex
	cond    sync.Cond // signalled when a chunk is done or the worker ends
	ring    [maxQueued][]byte
	head    int      // oldest chunk (being hashed while running)
	n       int      // chunks queued or being hashed: ring[head], ring[head+1], ...
	spare   [][]byte // hashed chunks, ready for reuse
	running bool     // a worker goroutine is running
}

func newHashQueue(hashes ...hash.Hash) *hashQueue {
	q := &hashQueue{hashes: hashes}
	q.cond.L = &q.mu
	return q
}

// add copies p and queues it; it waits while maxQueued chunks are pending.
func (q *hashQueue) add(p []byte) {
	for len(p) > 0 {
		q.mu.Lock()
		for q.n == maxQueued {
			q.cond.Wait()
		}
		var c []byte
		if k := len(q.spare); k > 0 {
			c = q.spare[k-1]
			q.spare = q.spare[:k-1]
		}
		q.mu.Unlock()
		if c == nil {
			c = make([]byte, chunkSize)
		}
		k := copy(c[:chunkSize], p)
		p = p[k:]
		// Only this goroutine adds: the slot found free above still is.
		q.mu.Lock()
		q.ring[(q.head+q.n)%maxQueued] = c[:k]
		q.n++
		if !q.running {
			q.running = true
			go q.work()
		}
		q.mu.Unlock()
	}
}

// work hashes queued chunks, oldest first, until none is left. The chunk
// at head stays in the ring (counted in n) while it is hashed, so add
// never writes over it.
func (q *hashQueue) work() {
	q.mu.Lock()
	for q.n > 0 {
		c := q.ring[q.head]
		q.mu.Unlock()
		for _, h := range q.hashes {
			h.Write(c)
		}
		q.mu.Lock()
		q.spare = append(q.spare, c[:chunkSize])
		q.ring[q.head] = nil
		q.head = (q.head + 1) % maxQueued
		q.n--
		q.cond.Broadcast()
	}
	q.running = false
	q.cond.Broadcast()
	q.mu.Unlock()
}

// wait returns once every added chunk is hashed: the hashes can be read.
func (q *hashQueue) wait() {
	q.mu.Lock()
	for q.n > 0 || q.running {
		q.cond.Wait()
	}
	q.mu.Unlock()
}
