package table

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The GC's to-do list is a bbolt bucket beside the tables. Each item says
// "the entry under this key of this table was, at this time, a stored
// value of this hash that may be collected (a tombstone) or compacted".
//
//	key:   time (Unix ms, 8 bytes big-endian) | len(table) (1 byte) | table | storage key
//	value: SHA-256 of the stored value
//
// Items sort by time, so a pass reads the due ones first and stops at the
// first that is not due. An item whose key no longer holds a value of its
// hash is stale and dropped: the change that replaced the value recorded
// its own item if the new value needs one.
var gcTodoBucket = []byte("_gc_todo")

// gcHash is the hash the GC compares stored values by.
func gcHash(v []byte) [32]byte { return sha256.Sum256(v) }

// farFuture is the "before" that asks Compact whether an entry holds
// anything it will ever drop.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// gcTodoKey returns the to-do key of an item.
func gcTodoKey(at time.Time, table string, key []byte) []byte {
	k := make([]byte, 0, 9+len(table)+len(key))
	k = binary.BigEndian.AppendUint64(k, uint64(max(0, at.UnixMilli())))
	k = append(k, byte(len(table)))
	k = append(k, table...)
	return append(k, key...)
}

// gcTodo is one decoded to-do item.
type gcTodo struct {
	todoKey []byte
	at      time.Time
	table   string
	key     []byte
	hash    [32]byte
}

func parseGCTodo(k, v []byte) (gcTodo, error) {
	if len(k) < 9 || len(k) < 9+int(k[8]) || len(v) != 32 {
		return gcTodo{}, errors.New("malformed GC to-do item")
	}
	n := int(k[8])
	it := gcTodo{
		todoKey: bytes.Clone(k),
		at:      time.UnixMilli(int64(binary.BigEndian.Uint64(k[:8]))),
		table:   string(k[9 : 9+n]),
		key:     bytes.Clone(k[9+n:]),
	}
	copy(it.hash[:], v)
	return it, nil
}

// recordGCTodo notes, in tx, that the value enc now stored under key of
// table may be collected or compacted once the GC delay has passed.
func recordGCTodo(tx *bolt.Tx, now time.Time, table string, key, enc []byte) error {
	if len(table) > 255 {
		return fmt.Errorf("table name %q too long for the GC", table)
	}
	b, err := tx.CreateBucketIfNotExists(gcTodoBucket)
	if err != nil {
		return fmt.Errorf("GC to-do list: %w", err)
	}
	h := gcHash(enc)
	if err := b.Put(gcTodoKey(now, table, key), h[:]); err != nil {
		return fmt.Errorf("record GC to-do: %w", err)
	}
	return nil
}

// gcAction is what the GC may do with a stored value.
type gcAction int

const (
	gcNone    gcAction = iota // nothing to collect: drop the to-do item
	gcDelete                  // a tombstone: delete it everywhere
	gcReplace                 // compact it everywhere
	gcLater                   // compactable once more time has passed
)

// gcTable is the GC's view of a registered table (localImpl).
type gcTable interface {
	// gcPlan says what to do with the stored value raw, compacting what
	// is older than before; for gcReplace it returns the new value.
	gcPlan(raw []byte, before time.Time) (gcAction, []byte, error)
}

// collectable reports whether the GC will ever act on e.
func (t *Table[E]) collectable(e E) bool {
	s := t.schema
	if e.IsTombstone() && !s.KeepTombstones {
		return true
	}
	if s.Compact == nil {
		return false
	}
	_, ok := s.Compact(e, farFuture)
	return ok
}

// noteGC records a to-do item for the value enc just stored under key if
// the GC will ever act on it (called by apply, in its transaction).
func (l *localImpl[E]) noteGC(tx *Tx, key []byte, merged E, enc []byte) error {
	if !l.t.collectable(merged) {
		return nil
	}
	return recordGCTodo(tx.bolt, tx.now, l.t.schema.Name, key, enc)
}

func (l *localImpl[E]) gcPlan(raw []byte, before time.Time) (gcAction, []byte, error) {
	s := l.t.schema
	e, err := s.Decode(raw)
	if err != nil {
		return gcNone, nil, fmt.Errorf("decode %s entry: %w", s.Name, err)
	}
	if e.IsTombstone() && !s.KeepTombstones {
		return gcDelete, nil, nil
	}
	if s.Compact == nil {
		return gcNone, nil, nil
	}
	if c, ok := s.Compact(e, before); ok {
		enc, err := s.Encode(c)
		if err != nil {
			return gcNone, nil, fmt.Errorf("encode compacted %s entry: %w", s.Name, err)
		}
		if !bytes.Equal(enc, raw) {
			return gcReplace, enc, nil
		}
	}
	if _, ok := s.Compact(e, farFuture); ok {
		return gcLater, nil, nil
	}
	return gcNone, nil, nil
}

// gcItem is one change the GC asks a holder to make: replace the value of
// hash Hash under Key by Value (delete it if Value is nil), only if the
// holder's stored value still has that hash.
type gcItem struct {
	Key   []byte `cbor:"1,keyasint"`
	Hash  []byte `cbor:"2,keyasint"`
	Value []byte `cbor:"3,keyasint,omitempty"`
}

// replaceIfEqual carries out items on the local store of table, in one
// transaction, and reports which it carried out. A key whose value changed
// since (its hash differs) is left as it is. A value that is still
// collectable after the change gets a to-do item. drop lists to-do items
// to remove in the same transaction if they still hold their hash.
func (l *Local) replaceIfEqual(table string, items []gcItem, drop []gcTodo) ([]bool, error) {
	t, err := l.table(table)
	if err != nil {
		return nil, err
	}
	gt, ok := t.(gcTable)
	if !ok {
		return nil, fmt.Errorf("table %q cannot be garbage collected", table)
	}
	done := make([]bool, len(items))
	err = l.db.Update(func(tx *bolt.Tx) error {
		clear(done)
		b := tx.Bucket([]byte(table))
		if b == nil {
			return fmt.Errorf("%w %q", ErrUnknownTable, table)
		}
		now := l.now()
		for i, it := range items {
			old := b.Get(it.Key)
			if old == nil {
				continue
			}
			if h := gcHash(old); !bytes.Equal(h[:], it.Hash) {
				continue
			}
			if err := l.put(tx, table, b, it.Key, old, it.Value); err != nil {
				return err
			}
			done[i] = true
			if it.Value == nil {
				continue
			}
			if a, _, err := gt.gcPlan(it.Value, farFuture); err != nil {
				return err
			} else if a != gcNone {
				if err := recordGCTodo(tx, now, table, it.Key, it.Value); err != nil {
					return err
				}
			}
		}
		return dropGCTodos(tx, drop)
	})
	if err != nil {
		return nil, fmt.Errorf("GC of %s: %w", table, err)
	}
	return done, nil
}

// dropGCTodos removes to-do items that still hold the hash they were read
// with (an item rewritten since, at the same key, stays).
func dropGCTodos(tx *bolt.Tx, items []gcTodo) error {
	if len(items) == 0 {
		return nil
	}
	b := tx.Bucket(gcTodoBucket)
	if b == nil {
		return nil
	}
	for _, it := range items {
		if v := b.Get(it.todoKey); v != nil && bytes.Equal(v, it.hash[:]) {
			if err := b.Delete(it.todoKey); err != nil {
				return fmt.Errorf("drop GC to-do: %w", err)
			}
		}
	}
	return nil
}
