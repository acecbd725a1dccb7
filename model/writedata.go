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
// buffer). A block's buffer goes back to the pool as soon as its block is
// stored: Blocks.Write no longer reads it once it returns
// (blockrepl.Store.Write waits for the writes still reading it).
const (
	// blockWriters is how many blocks of one upload are hashed and
	// written at once: their fsyncs overlap (the file system groups
	// concurrent journal commits).
	blockWriters = 4
	// maxBlockBuffers bounds the block buffers of one upload: the one
	// being read, those being written, those waiting for their entry.
	maxBlockBuffers = blockWriters + 2
)

// writeData cuts r into blocks stored under data id id, and returns the
// number of bytes written. It returns once every block and its block list
// entry are on stable storage at a write quorum, or with the first error.
// first, if not empty, is the first block, already read into a buffer of
// the pool (getBuf) that writeData takes over: the data starts with it and
// goes on with r. sum, if not nil, is r's BodySHA256: when r holds less
// than one block (and first is empty) that block is stored under it.
func (m *Model) writeData(ctx context.Context, id string, first []byte, r io.Reader, sum BodySHA256) (int64, error) {
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
		sum  BodySHA256 // of data, the whole body; nil: hash data
	}
	jobs := make(chan job)
	// Entries of stored blocks, waiting to be recorded; a full channel
	// holds the writers back until the recorder catches up.
	written := make(chan BlockListEntry, maxBlockBuffers)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		m.recordBlocks(ctx, written, fail)
	}()

	var wg sync.WaitGroup
	for w := 0; w < blockWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				h, err := m.writeBlock(ctx, j.data, j.sum)
				size := int64(len(j.data))
				release(j.data)
				if err != nil {
					fail(fmt.Errorf("store block: %w", err))
					continue
				}
				written <- BlockListEntry{DataID: id, Offset: j.off, Hash: h[:], Size: size}
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
		ended := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !ended {
			// The body failed (a digest or signature mismatch comes with
			// its last bytes): the block it was in is not stored.
			release(buf)
			readErr = err
			break
		}
		if n > 0 {
			j := job{off: off, data: buf[:n]}
			if off == 0 && len(first) == 0 && err == io.ErrUnexpectedEOF {
				j.sum = sum // r ended within its first block: buf[:n] is all of it
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				release(buf)
			}
			off += int64(n)
		} else {
			release(buf)
		}
		if ended {
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

// recordBlocks inserts the entries received on written until it is
// closed, each insert taking every entry that is waiting. After a failure
// (reported with fail) it only drains written.
func (m *Model) recordBlocks(ctx context.Context, written <-chan BlockListEntry, fail func(error)) {
	batch := make([]BlockListEntry, 0, maxBlockBuffers)
	failed := false
	for e := range written {
		batch = append(batch[:0], e)
	more:
		for {
			select {
			case e, ok := <-written:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		if failed || ctx.Err() != nil {
			continue
		}
		if err := m.blocklists.Insert(ctx, batch...); err != nil {
			failed = true
			fail(fmt.Errorf("record %d blocks: %w", len(batch), err))
		}
	}
}
