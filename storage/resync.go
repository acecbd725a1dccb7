package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// resyncBucket is the persistent resync queue: block hash → when to look
// at it next (unix ms, 8 bytes big-endian) and how many attempts failed so
// far (uvarint). A block is in the queue at most once.
var resyncBucket = []byte("block_resync")

// repairBucket keeps small facts about background repair that must
// survive a restart (the time of the last complete scrub).
var repairBucket = []byte("block_repair")

func encodeResync(at time.Time, attempts uint64) []byte {
	b := make([]byte, 8, 8+binary.MaxVarintLen64)
	binary.BigEndian.PutUint64(b, uint64(at.UnixMilli()))
	return binary.AppendUvarint(b, attempts)
}

func decodeResync(v []byte) (at time.Time, attempts uint64) {
	if len(v) < 8 {
		return time.Time{}, 0
	}
	at = time.UnixMilli(int64(binary.BigEndian.Uint64(v)))
	attempts, _ = binary.Uvarint(v[8:])
	return at, attempts
}

// enqueueResync puts h in the resync queue inside tx, due at once. A block
// already queued keeps its place and attempt count, but becomes due now.
func enqueueResync(tx *bolt.Tx, h Hash, now time.Time) error {
	b := tx.Bucket(resyncBucket)
	_, attempts := decodeResync(b.Get(h[:]))
	return b.Put(h[:], encodeResync(now, attempts))
}

// EnqueueResync adds blocks to the resync queue, due at now. Blocks
// are added in batches sharing one commit.
func (rc *RefCounts) EnqueueResync(now time.Time, hs ...Hash) error {
	err := rc.db.Batch(func(tx *bolt.Tx) error {
		for _, h := range hs {
			if err := enqueueResync(tx, h, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("enqueue block resync: %w", err)
	}
	return nil
}

// ResyncItem is a block due for resync.
type ResyncItem struct {
	Hash     Hash
	Attempts uint64 // failed attempts so far
}

// DueResync returns up to limit queued blocks whose time has come.
func (rc *RefCounts) DueResync(now time.Time, limit int) ([]ResyncItem, error) {
	var out []ResyncItem
	err := rc.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(resyncBucket).ForEach(func(k, v []byte) error {
			if len(out) >= limit || len(k) != HashSize {
				return nil
			}
			at, attempts := decodeResync(v)
			if at.After(now) {
				return nil
			}
			var it ResyncItem
			copy(it.Hash[:], k)
			it.Attempts = attempts
			out = append(out, it)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("scan block resync queue: %w", err)
	}
	return out, nil
}

// NextResync returns when the earliest queued block is due, and false
// when the queue is empty.
func (rc *RefCounts) NextResync() (time.Time, bool, error) {
	var (
		first time.Time
		found bool
	)
	err := rc.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(resyncBucket).ForEach(func(k, v []byte) error {
			at, _ := decodeResync(v)
			if !found || at.Before(first) {
				first, found = at, true
			}
			return nil
		})
	})
	return first, found, err
}

// ResyncDone removes h from the queue, unless it was queued again since
// due (which then stays).
func (rc *RefCounts) ResyncDone(h Hash, due time.Time) error {
	return rc.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(resyncBucket)
		v := b.Get(h[:])
		if v == nil {
			return nil
		}
		if at, _ := decodeResync(v); at.After(due) {
			return nil // queued again meanwhile: look again
		}
		return b.Delete(h[:])
	})
}

// ResyncRetry keeps h in the queue, due again at next, with one more
// failed attempt.
func (rc *RefCounts) ResyncRetry(h Hash, next time.Time) (attempts uint64, err error) {
	err = rc.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(resyncBucket)
		_, attempts = decodeResync(b.Get(h[:]))
		attempts++
		return b.Put(h[:], encodeResync(next, attempts))
	})
	return attempts, err
}

// ResyncAllDue makes every queued block due at now, keeping its attempt
// count: for when a node comes back and the blocks waiting for it may be
// fixed at once.
func (rc *RefCounts) ResyncAllDue(now time.Time) error {
	return rc.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(resyncBucket)
		type item struct {
			k []byte
			v []byte
		}
		var items []item
		err := b.ForEach(func(k, v []byte) error {
			if at, attempts := decodeResync(v); at.After(now) {
				items = append(items, item{append([]byte(nil), k...), encodeResync(now, attempts)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := b.Put(it.k, it.v); err != nil {
				return err
			}
		}
		return nil
	})
}

// ResyncLen returns the number of queued blocks.
func (rc *RefCounts) ResyncLen() (int, error) {
	var n int
	err := rc.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(resyncBucket).Stats().KeyN
		return nil
	})
	return n, err
}

// RefInfo is what the reference counter knows of one block.
type RefInfo struct {
	// Known is false when the block has no entry at all (never
	// referenced here, or collected).
	Known bool
	Count uint64
	// UnusedSince is when the count dropped to zero (zero time if in use).
	UnusedSince time.Time
	Size        int64
}

// Info returns what the counter knows of block h.
func (rc *RefCounts) Info(h Hash) (RefInfo, error) {
	var info RefInfo
	err := rc.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(refBucket).Get(h[:])
		if v == nil {
			return nil
		}
		e := decodeRef(v)
		info = RefInfo{Known: true, Count: e.count, Size: int64(e.size)}
		if e.count == 0 {
			info.UnusedSince = time.UnixMilli(e.unusedFrom)
		}
		return nil
	})
	return info, err
}

// Walk calls fn for every block with a counter entry (count zero
// included). The hashes are read first, so fn may use rc.
func (rc *RefCounts) Walk(ctx context.Context, fn func(Hash) error) error {
	var hs []Hash
	err := rc.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(refBucket).ForEach(func(k, _ []byte) error {
			if len(k) == HashSize {
				var h Hash
				copy(h[:], k)
				hs = append(hs, h)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("scan refcounts: %w", err)
	}
	for _, h := range hs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

// SetCountIf sets the count of block h to count if it still is old (a
// compare-and-set, so a reference counted by a hook meanwhile is not
// lost). It reports whether the count was set. Going from zero to more
// queues the block for resync, as Add does.
func (rc *RefCounts) SetCountIf(h Hash, old, count uint64, now time.Time) (bool, error) {
	set := false
	err := rc.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(refBucket)
		e := decodeRef(b.Get(h[:]))
		if e.count != old || old == count {
			return nil
		}
		set = true
		return rc.Add(tx, h, int(count)-int(old), 0, now)
	})
	if err != nil {
		return false, fmt.Errorf("set refcount of %s: %w", h, err)
	}
	return set, nil
}

// LastScrub returns when the last complete scrub finished (zero if never).
func (rc *RefCounts) LastScrub() (time.Time, error) {
	var t time.Time
	err := rc.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(repairBucket).Get([]byte("last_scrub")); len(v) == 8 {
			t = time.UnixMilli(int64(binary.BigEndian.Uint64(v)))
		}
		return nil
	})
	return t, err
}

// SetLastScrub records when a complete scrub finished.
func (rc *RefCounts) SetLastScrub(t time.Time) error {
	return rc.db.Update(func(tx *bolt.Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(t.UnixMilli()))
		return tx.Bucket(repairBucket).Put([]byte("last_scrub"), v[:])
	})
}

// RepairMark returns a small value kept for background repair under name
// (nil if none): what a node must remember across restarts, such as the
// placement its last block scan was for.
func (rc *RefCounts) RepairMark(name string) ([]byte, error) {
	var out []byte
	err := rc.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(repairBucket).Get([]byte("mark:" + name)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetRepairMark stores v under name (see RepairMark).
func (rc *RefCounts) SetRepairMark(name string, v []byte) error {
	return rc.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(repairBucket).Put([]byte("mark:"+name), v)
	})
}
