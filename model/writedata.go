package model

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Writing the data of a large object or part.
//
// The request goroutine reads the body one block at a time; blockWriters
// goroutines hash and store the blocks; one recorder goroutine inserts
// their block list entries: every entry that became ready while the
// previous insert ran goes into the next one, so that several blocks share
// one table write (one metadata commit, one round trip per replica)
// instead of each writer waiting for a commit of its own before it takes
// the next block.
//
// Memory: at most maxBlockBuffers block buffers per upload (a token per
// buffer). A block's buffer goes back to the pool only once its entry is
// recorded, as when each writer recorded its own block: a replicated
// block write returns at its write quorum while the last replica may
// still be reading the buffer (blockrepl.Store.Write), and the insert's
// round trip is what gives that write time to end. Reusing the buffer
// sooner would hand that replica other bytes.
const (
	// blockWriters is how many blocks of one upload are hashed and
	// written at once: their fsyncs overlap (the file system groups
	// concurrent journal commits).
	blockWriters = 4
	// maxBlockBuffers bounds the block buffers of one upload: the one
	// being read, those being written, those waiting for their entry.
	maxBlockBuffers = blockWriters + 2
)

// writtenBlock is a stored block whose entry is not yet recorded.
type writtenBlock struct {
	entry BlockListEntry
	buf   []byte
}

// writeData cuts r into blocks stored under data id id, and returns the
// number of bytes written. It returns once every block and its block list
// entry are on stable storage at a write quorum, or with the first error.
// first, if not empty, is the first block, already read into a buffer of
// the pool (getBuf) that writeData takes over: the data starts with it and
// goes on with r.
func (m *Model) writeData(ctx context.Context, id string, first []byte, r io.Reader) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}
	tokens := make(chan struct{}, maxBlockBuffers) // one per block buffer in use
	release := func(buf []byte) {
		m.putBuf(buf)
		<-tokens
	}

	type job struct {
		off  int64
		data []byte
	}
	jobs := make(chan job)
	written := make(chan writtenBlock, maxBlockBuffers) // never full: one slot per token
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		m.recordBlocks(ctx, written, release, fail)
	}()

	var wg sync.WaitGroup
	for w := 0; w < blockWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				h, err := m.blocks.Write(ctx, j.data)
				if err != nil {
					release(j.data)
					fail(fmt.Errorf("store block: %w", err))
					continue
				}
				written <- writtenBlock{BlockListEntry{DataID: id, Offset: j.off, Hash: h[:], Size: int64(len(j.data))}, j.data}
			}
		}()
	}

	var off int64
	if len(first) > 0 {
		tokens <- struct{}{} // free: nothing else holds one yet
		jobs <- job{off: 0, data: first}
		off = int64(len(first))
	} else if first != nil {
		m.putBuf(first)
	}
	var readErr error
	for ctx.Err() == nil {
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		buf := m.getBuf()
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			select {
			case jobs <- job{off: off, data: buf[:n]}:
			case <-ctx.Done():
				release(buf)
			}
			off += int64(n)
		} else {
			release(buf)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	close(jobs)
	wg.Wait()
	close(written)
	<-recorded
	switch {
	case firstErr != nil:
		return off, firstErr
	case readErr != nil:
		return off, readErr
	}
	return off, ctx.Err()
}

// recordBlocks inserts the entries of the blocks received on written
// until it is closed, each insert taking every block that is waiting, and
// then releases their buffers. After a failure (reported with fail) it
// only releases.
func (m *Model) recordBlocks(ctx context.Context, written <-chan writtenBlock, release func([]byte), fail func(error)) {
	var batch []writtenBlock
	entries := make([]BlockListEntry, 0, maxBlockBuffers)
	failed := false
	for b := range written {
		batch = append(batch[:0], b)
	more:
		for {
			select {
			case b, ok := <-written:
				if !ok {
					break more
				}
				batch = append(batch, b)
			default:
				break more
			}
		}
		if !failed && ctx.Err() == nil {
			entries = entries[:0]
			for _, b := range batch {
				entries = append(entries, b.entry)
			}
			if err := m.blocklists.Insert(ctx, entries...); err != nil {
				failed = true
				fail(fmt.Errorf("record %d blocks: %w", len(entries), err))
			}
		}
		for i, b := range batch {
			release(b.buf)
			batch[i] = writtenBlock{}
		}
	}
}
