package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// refBucket holds one value per referenced block:
// version byte, count (uvarint), unreferenced-since (unix ms, uvarint) and,
// from format 2, the block's size (uvarint).
var refBucket = []byte("block_rc")

// statsBucket holds the totals of referenced blocks: "blocks" and "bytes".
var statsBucket = []byte("block_stats")

const refFormat = 2

// RefCounts counts the users of each block in the metadata database and
// collects blocks nobody uses any more.
type RefCounts struct {
	db     *DB
	blocks *BlockStore
}

// NewRefCounts returns the reference counter for blocks kept in db.
func NewRefCounts(db *DB, blocks *BlockStore) (*RefCounts, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{refBucket, statsBucket, resyncBucket, repairBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create refcount bucket: %w", err)
	}
	return &RefCounts{db: db, blocks: blocks}, nil
}

type refEntry struct {
	count      uint64
	unusedFrom int64 // unix ms when count dropped to zero
	size       uint64
}

// decodeRef reads formats 1 (no size) and 2.
func decodeRef(v []byte) refEntry {
	if len(v) < 1 || v[0] < 1 || v[0] > refFormat {
		return refEntry{}
	}
	format := v[0]
	v = v[1:]
	var e refEntry
	var fields []uint64
	for len(v) > 0 && len(fields) < 3 {
		x, n := binary.Uvarint(v)
		if n <= 0 {
			break
		}
		fields = append(fields, x)
		v = v[n:]
	}
	if len(fields) < 2 {
		return refEntry{}
	}
	e.count, e.unusedFrom = fields[0], int64(fields[1])
	if format >= 2 && len(fields) == 3 {
		e.size = fields[2]
	}
	return e
}

func (e refEntry) encode() []byte {
	b := make([]byte, 1, 1+3*binary.MaxVarintLen64)
	b[0] = refFormat
	b = binary.AppendUvarint(b, e.count)
	b = binary.AppendUvarint(b, uint64(e.unusedFrom))
	return binary.AppendUvarint(b, e.size)
}

// addStat adds delta to a total of statsBucket.
func addStat(tx *bolt.Tx, name string, delta int64) error {
	b := tx.Bucket(statsBucket)
	var cur int64
	if v := b.Get([]byte(name)); len(v) == 8 {
		cur = int64(binary.BigEndian.Uint64(v))
	}
	var out [8]byte
	binary.BigEndian.PutUint64(out[:], uint64(max(cur+delta, 0)))
	return b.Put([]byte(name), out[:])
}

// Add changes the count of block h (of size bytes) by delta (+1 or -1)
// inside tx. It is meant to be called from table hooks, in the transaction
// that records the reference itself. A block whose count goes from zero to
// more is queued for resync in the same transaction, so that a block
// referenced by an entry that anti-entropy brought in gets fetched.
func (rc *RefCounts) Add(tx *bolt.Tx, h Hash, delta int, size int64, now time.Time) error {
	b := tx.Bucket(refBucket)
	e := decodeRef(b.Get(h[:]))
	wasUsed := e.count > 0
	if size > 0 {
		e.size = uint64(size)
	}
	switch {
	case delta > 0:
		e.count += uint64(delta)
		e.unusedFrom = 0
	case delta < 0:
		if uint64(-delta) >= e.count {
			e.count = 0
		} else {
			e.count -= uint64(-delta)
		}
		if e.count == 0 {
			e.unusedFrom = now.UnixMilli()
		}
	}
	if used := e.count > 0; used != wasUsed {
		sign := int64(1)
		if !used {
			sign = -1
		}
		if err := addStat(tx, "blocks", sign); err != nil {
			return err
		}
		if err := addStat(tx, "bytes", sign*int64(e.size)); err != nil {
			return err
		}
		if used {
			if err := enqueueResync(tx, h, now); err != nil {
				return err
			}
		}
	}
	return b.Put(h[:], e.encode())
}

// Count returns the current count of block h.
func (rc *RefCounts) Count(h Hash) (uint64, error) {
	var c uint64
	err := rc.db.View(func(tx *bolt.Tx) error {
		c = decodeRef(tx.Bucket(refBucket).Get(h[:])).count
		return nil
	})
	return c, err
}

// Stats returns the number of blocks in use and their total size (before
// compression).
func (rc *RefCounts) Stats() (blocks, bytes int64, err error) {
	err = rc.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(statsBucket)
		if v := b.Get([]byte("blocks")); len(v) == 8 {
			blocks = int64(binary.BigEndian.Uint64(v))
		}
		if v := b.Get([]byte("bytes")); len(v) == 8 {
			bytes = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return blocks, bytes, err
}

// KeepFunc tells the collector to keep a block it would delete: another
// holder of the block's partition still references it, or could not be
// asked. An error keeps the block too.
type KeepFunc func(ctx context.Context, h Hash) (bool, error)

// Collect deletes the files of blocks that have had no reference for at
// least delay and were not written again in that time. It returns the
// number of blocks deleted.
func (rc *RefCounts) Collect(ctx context.Context, now time.Time, delay time.Duration) (int, error) {
	return rc.CollectWith(ctx, now, delay, nil)
}

// CollectWith is Collect asking keep (when not nil) about every candidate
// before deleting it; keep runs outside any transaction, and the local
// count and the file's age are checked again afterwards.
func (rc *RefCounts) CollectWith(ctx context.Context, now time.Time, delay time.Duration, keep KeepFunc) (int, error) {
	cutoff := now.Add(-delay)
	var candidates []Hash
	err := rc.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(refBucket).ForEach(func(k, v []byte) error {
			e := decodeRef(v)
			if e.count == 0 && e.unusedFrom <= cutoff.UnixMilli() && len(k) == HashSize {
				var h Hash
				copy(h[:], k)
				candidates = append(candidates, h)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("scan refcounts: %w", err)
	}
	// Re-check under a write transaction: a new reference may have
	// arrived since the scan.
	return rc.deleteCandidates(ctx, candidates, keep, func(tx *bolt.Tx, h Hash) (bool, error) {
		b := tx.Bucket(refBucket)
		if decodeRef(b.Get(h[:])).count != 0 {
			return false, nil
		}
		removed, err := rc.blocks.deleteIfIdle(h, cutoff)
		if err != nil {
			return false, err
		}
		if !removed && rc.blocks.Has(h) {
			return false, nil // written again recently: keep
		}
		return removed, b.Delete(h[:])
	})
}

// SweepOrphans deletes block files that have no counter entry at all and
// were last written before now-delay: the blocks of uploads killed by a
// crash before any reference was recorded. keep (when not nil) is asked
// first, as for CollectWith. It returns the number of files deleted.
func (rc *RefCounts) SweepOrphans(ctx context.Context, now time.Time, delay time.Duration, keep KeepFunc) (int, error) {
	cutoff := now.Add(-delay)
	var candidates []Hash
	err := rc.blocks.Walk(ctx, func(h Hash) error {
		if mt, ok := rc.blocks.ModTime(h); !ok || mt.After(cutoff) {
			return nil
		}
		info, err := rc.Info(h)
		if err != nil {
			return err
		}
		if !info.Known {
			candidates = append(candidates, h)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep orphan blocks: %w", err)
	}
	return rc.deleteCandidates(ctx, candidates, keep, func(tx *bolt.Tx, h Hash) (bool, error) {
		if tx.Bucket(refBucket).Get(h[:]) != nil {
			return false, nil // referenced meanwhile
		}
		return rc.blocks.deleteIfIdle(h, cutoff)
	})
}

// deleteCandidates asks keep (when not nil) about each candidate, then
// runs remove for it in a write transaction, which checks again and
// reports whether a file went. It returns the number of files deleted.
func (rc *RefCounts) deleteCandidates(ctx context.Context, candidates []Hash, keep KeepFunc, remove func(tx *bolt.Tx, h Hash) (bool, error)) (int, error) {
	deleted := 0
	for _, h := range candidates {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		if keep != nil {
			if k, err := keep(ctx, h); k || err != nil {
				continue
			}
		}
		var gone bool
		err := rc.db.Update(func(tx *bolt.Tx) error {
			var err error
			gone, err = remove(tx, h)
			return err
		})
		if err != nil {
			return deleted, err
		}
		if gone {
			deleted++
		}
	}
	return deleted, nil
}
