package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// refBucket holds one value per referenced block:
// version byte (1), count (uvarint), unreferenced-since (unix ms, uvarint).
var refBucket = []byte("block_rc")

const refFormat = 1

// RefCounts counts the users of each block in the metadata database and
// collects blocks nobody uses any more.
type RefCounts struct {
	db     *DB
	blocks *BlockStore
}

// NewRefCounts returns the reference counter for blocks kept in db.
func NewRefCounts(db *DB, blocks *BlockStore) (*RefCounts, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(refBucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create refcount bucket: %w", err)
	}
	return &RefCounts{db: db, blocks: blocks}, nil
}

type refEntry struct {
	count      uint64
	unusedFrom int64 // unix ms when count dropped to zero
}

func decodeRef(v []byte) refEntry {
	if len(v) < 1 || v[0] != refFormat {
		return refEntry{}
	}
	v = v[1:]
	c, n := binary.Uvarint(v)
	if n <= 0 {
		return refEntry{}
	}
	t, _ := binary.Uvarint(v[n:])
	return refEntry{count: c, unusedFrom: int64(t)}
}

func (e refEntry) encode() []byte {
	b := make([]byte, 1, 1+2*binary.MaxVarintLen64)
	b[0] = refFormat
	b = binary.AppendUvarint(b, e.count)
	return binary.AppendUvarint(b, uint64(e.unusedFrom))
}

// Add changes the count of block h by delta (+1 or -1) inside tx. It is
// meant to be called from table hooks, in the transaction that records the
// reference itself.
func (rc *RefCounts) Add(tx *bolt.Tx, h Hash, delta int, now time.Time) error {
	b := tx.Bucket(refBucket)
	e := decodeRef(b.Get(h[:]))
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

// Stats returns the number of referenced blocks.
func (rc *RefCounts) Stats() (blocks int, err error) {
	err = rc.db.View(func(tx *bolt.Tx) error {
		blocks = tx.Bucket(refBucket).Stats().KeyN
		return nil
	})
	return blocks, err
}

// Collect deletes the files of blocks that have had no reference for at
// least delay and were not written again in that time. It returns the
// number of blocks deleted.
func (rc *RefCounts) Collect(ctx context.Context, now time.Time, delay time.Duration) (int, error) {
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
	deleted := 0
	for _, h := range candidates {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		// Re-check under a write transaction: a new reference may have
		// arrived since the scan.
		var gone bool
		err := rc.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(refBucket)
			e := decodeRef(b.Get(h[:]))
			if e.count != 0 {
				return nil
			}
			removed, err := rc.blocks.deleteIfIdle(h, cutoff)
			if err != nil {
				return err
			}
			if !removed && rc.blocks.Has(h) {
				return nil // written again recently: keep
			}
			gone = removed
			return b.Delete(h[:])
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
