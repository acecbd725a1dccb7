package model

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// getObject returns the object entry (empty if none).
func (m *Model) getObject(ctx context.Context, bucketID, key string) (Object, error) {
	o, _, err := m.objects.Get(ctx, []byte(bucketID), []byte(key))
	if err != nil {
		return Object{}, fmt.Errorf("read object: %w", err)
	}
	m.clock.Observe(o.MaxTS())
	return o, nil
}

// HeadObject returns the visible version of an object.
func (m *Model) HeadObject(ctx context.Context, bucketID, key string) (ObjectVersion, error) {
	o, err := m.getObject(ctx, bucketID, key)
	if err != nil {
		return ObjectVersion{}, err
	}
	v, ok := o.Visible()
	if !ok {
		return ObjectVersion{}, fmt.Errorf("%s: %w", key, ErrNoSuchObject)
	}
	return v, nil
}

// ErrCorrupt is returned when stored data fails its integrity check.
var ErrCorrupt = storage.ErrCorrupt

// Open returns a reader of length bytes of version v from offset off.
// Blocks are verified as they are read and the next block is fetched while
// the current one is consumed: one block in flight, so a reader holds at
// most two blocks however slowly it is consumed (the one being consumed
// and the next, fetched and waiting to be taken). Closing the reader (or
// cancelling ctx) stops the reads.
func (m *Model) Open(ctx context.Context, v ObjectVersion, off, length int64) (io.ReadCloser, error) {
	if v.Data == nil || v.Meta == nil {
		return nil, fmt.Errorf("version %s has no data", v.UUID)
	}
	if off < 0 || length < 0 || off+length > v.Meta.Size {
		return nil, fmt.Errorf("range %d+%d outside object of %d bytes", off, length, v.Meta.Size)
	}
	if v.Data.Inline != nil || len(v.Data.Parts) == 0 {
		// The decoded entry owns its bytes: read them in place.
		return io.NopCloser(bytes.NewReader(v.Data.Inline[off : off+length])), nil
	}
	ctx, cancel := context.WithCancel(ctx)
	// Unbuffered: the fetcher hands a block over only once the reader is
	// done with the previous one, and fetches the one after only then. With
	// a buffer of one, a slow reader held 3 blocks: its own, one waiting in
	// the channel and one in the fetcher's hands.
	r := &blockReader{cancel: cancel, ch: make(chan fetched)}
	go m.streamBlocks(ctx, v.Data.Parts, off, off+length, r.ch)
	return r, nil
}

// fetched is a verified slice of a block, or the error that ended reading.
// release gives the block's buffer back once data is consumed.
type fetched struct {
	data    []byte
	release func()
	err     error
}

// streamBlocks sends the bytes [pos, end) of the parts' data on ch, block
// by block, then closes ch. It stops when ctx ends.
func (m *Model) streamBlocks(ctx context.Context, parts []PartRef, pos, end int64, ch chan<- fetched) {
	defer close(ch)
	send := func(f fetched) bool {
		select {
		case ch <- f:
			return f.err == nil
		case <-ctx.Done():
			if f.release != nil {
				f.release()
			}
			return false
		}
	}
	var partStart int64
	for _, p := range parts {
		partEnd := partStart + p.Size
		if pos >= end {
			return
		}
		if partEnd <= pos {
			partStart = partEnd
			continue
		}
		if p.Blocks != nil {
			var ok bool
			if pos, ok = m.streamInlineBlocks(ctx, p, partStart, pos, end, send); !ok {
				return
			}
			partStart = partEnd
			continue
		}
		// The block holding pos is the last one starting at or before it.
		within := pos - partStart
		first, err := m.blocklists.Range(ctx, []byte(p.DataID), table.RangeQuery{Start: offsetKey(within), Reverse: true, Limit: 1})
		if err != nil {
			send(fetched{err: fmt.Errorf("read block list: %w", err)})
			return
		}
		next := int64(0)
		if len(first) == 1 {
			next = first[0].Offset
		}
		for pos < min(partEnd, end) {
			page, err := m.blocklists.Range(ctx, []byte(p.DataID), table.RangeQuery{Start: offsetKey(next), Limit: 16})
			if err != nil {
				send(fetched{err: fmt.Errorf("read block list: %w", err)})
				return
			}
			if len(page) == 0 {
				send(fetched{err: fmt.Errorf("data %s: no block at offset %d: %w", p.DataID, pos-partStart, ErrCorrupt)})
				return
			}
			for _, e := range page {
				bStart, bEnd := partStart+e.Offset, partStart+e.Offset+e.Size
				if bEnd <= pos {
					continue
				}
				if bStart > pos {
					send(fetched{err: fmt.Errorf("data %s: gap at offset %d: %w", p.DataID, pos-partStart, ErrCorrupt)})
					return
				}
				data, release, err := m.readBlock(ctx, e.Hash, e.Size)
				if err != nil {
					send(fetched{err: err})
					return
				}
				to := min(bEnd, end) - bStart
				if !send(fetched{data: data[pos-bStart : to], release: release}) {
					return
				}
				pos = bStart + to
				if pos >= min(partEnd, end) {
					break
				}
			}
			next = page[len(page)-1].Offset + 1
		}
		partStart = partEnd
	}
	if pos < end {
		send(fetched{err: fmt.Errorf("object data ends at %d, want %d: %w", pos, end, ErrCorrupt)})
	}
}

// streamInlineBlocks sends the part's bytes in [pos, end) from the blocks
// listed in the part itself. It returns the new position and false when
// reading stopped.
func (m *Model) streamInlineBlocks(ctx context.Context, p PartRef, partStart, pos, end int64, send func(fetched) bool) (int64, bool) {
	bStart := partStart
	for _, b := range p.Blocks {
		bEnd := bStart + b.Size
		if bEnd > pos && bStart < end {
			data, release, err := m.readBlock(ctx, b.Hash, b.Size)
			if err != nil {
				send(fetched{err: err})
				return pos, false
			}
			to := min(bEnd, end) - bStart
			if !send(fetched{data: data[pos-bStart : to], release: release}) {
				return pos, false
			}
			pos = bStart + to
		}
		bStart = bEnd
	}
	return pos, true
}

// readBlock reads and checks one block of the given size.
func (m *Model) readBlock(ctx context.Context, hash []byte, size int64) ([]byte, func(), error) {
	var h storage.Hash
	copy(h[:], hash)
	data, release, err := m.blocks.ReadPooled(ctx, h)
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) != size {
		release()
		return nil, nil, fmt.Errorf("block %s: %d bytes, want %d: %w", h, len(data), size, ErrCorrupt)
	}
	return data, release, nil
}

// blockReader is the io.ReadCloser over streamBlocks.
type blockReader struct {
	cancel  context.CancelFunc
	ch      chan fetched
	cur     []byte
	release func() // of cur's buffer
	err     error
}

func (r *blockReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		r.done()
		if r.err != nil {
			return 0, r.err
		}
		r.next()
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// WriteTo sends the blocks straight from their buffers, without copying
// them through the caller's buffer.
func (r *blockReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		for len(r.cur) > 0 {
			n, err := w.Write(r.cur)
			total += int64(n)
			r.cur = r.cur[n:]
			if err != nil {
				return total, err
			}
		}
		r.done()
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		r.next()
	}
}

// next takes the next block (or the end, or the error) from the stream.
func (r *blockReader) next() {
	f, ok := <-r.ch
	switch {
	case !ok:
		r.err = io.EOF
	case f.err != nil:
		r.err = f.err
	default:
		r.cur, r.release = f.data, f.release
	}
}

// done gives the current block's buffer back.
func (r *blockReader) done() {
	if r.release != nil {
		r.release()
		r.release = nil
	}
	r.cur = nil
}

// Close stops the block reads.
func (r *blockReader) Close() error {
	r.done()
	r.cancel()
	for f := range r.ch {
		if f.release != nil {
			f.release()
		}
	}
	return nil
}
