package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/storage"
)

// Node is one replica holder, seen from a table client. The local node
// implements it directly (Local); remote nodes implement it over RPC.
type Node interface {
	// ID names the node.
	ID() string
	// Update merges encoded entries into the named table and returns once
	// they are on stable storage. With them it returns, for each value,
	// the Stamp of the entry the node held before merging it (0 when it
	// held none or the schema has no Stamp), or nil when the node cannot
	// tell (a node of an older version).
	Update(ctx context.Context, table string, values [][]byte) (prior []uint64, err error)
	// Get returns the encoded entry, or nil if the node has none.
	Get(ctx context.Context, table string, pk, sk []byte) ([]byte, error)
	// Range returns encoded entries of partition key pk, in sort-key order
	// (reversed if q.Reverse).
	Range(ctx context.Context, table string, pk []byte, q RangeQuery) ([][]byte, error)
}

// RangeQuery selects entries of one partition key.
type RangeQuery struct {
	// Start is the first sort key to return (the last one if Reverse);
	// nil starts at the beginning (end) of the range.
	Start []byte
	// Prefix limits the range to sort keys with this prefix.
	Prefix []byte
	// Filter names a filter of the schema (see Schema.Filters); "" keeps
	// every entry that is not a tombstone.
	Filter string
	// Limit is the maximum number of entries returned (0: no limit).
	Limit int
	// Reverse walks sort keys downwards.
	Reverse bool
	// Light asks for entries decoded with Schema.DecodeLight where it
	// can be used (see there): the caller reads only what it keeps.
	// Replicas never see it.
	Light bool
}

// Tx is a local transaction, given to Updated hooks.
type Tx struct {
	bolt     *bolt.Tx
	now      time.Time
	enqueued bool
	origin   origin
	marks    []markRef
}

// Bolt returns the underlying bbolt transaction, for hooks that keep local
// state next to the table (such as block reference counts).
func (tx *Tx) Bolt() *bolt.Tx { return tx.bolt }

// Now returns the time the transaction started.
func (tx *Tx) Now() time.Time { return tx.now }

// Enqueue records work of the given kind, committed atomically with the
// transaction, to be carried out by the handler registered for kind.
func (tx *Tx) Enqueue(kind string, payload []byte) error {
	b := tx.bolt.Bucket(queueBucket)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	v := make([]byte, 0, 1+len(kind)+len(payload))
	v = append(v, byte(len(kind)))
	v = append(v, kind...)
	v = append(v, payload...)
	tx.enqueued = true
	return b.Put(k[:], v)
}

// localTable is the type-erased local side of a table.
type localTable interface {
	// apply merges value and returns the Stamp of the entry stored
	// before.
	apply(tx *Tx, value []byte) (prior uint64, err error)
	keep(filter string, value []byte) (bool, error)
}

// Local is this node's replica of every table, over the metadata DB.
type Local struct {
	id     string
	db     *storage.DB
	log    *slog.Logger
	now    func() time.Time
	mu     sync.RWMutex
	tables map[string]localTable
	queue  *Queue
	// leases, when set (SetLeases), are this node's read leases; writes
	// then mark the keys they change (lease_dirty.go).
	leases *Leases
}

// SetLeases makes l keep the dirty marks of leases and report its grants
// with every answer. It must be called before l serves requests.
func (l *Local) SetLeases(lz *Leases) { l.leases = lz }

// NewLocal returns the local node with the given id over db.
func NewLocal(id string, db *storage.DB, log *slog.Logger) (*Local, error) {
	l := &Local{id: id, db: db, log: log, now: time.Now, tables: map[string]localTable{}}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(queueBucket)
		return err
	}); err != nil {
		return nil, fmt.Errorf("create queue bucket: %w", err)
	}
	l.queue = newQueue(l)
	return l, nil
}

// ID returns the node id.
func (l *Local) ID() string { return l.id }

// Queue returns the local work queue that hooks enqueue into.
func (l *Local) Queue() *Queue { return l.queue }

func (l *Local) register(name string, t localTable) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.tables[name]; dup {
		return fmt.Errorf("table %q registered twice", name)
	}
	if err := l.db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(name))
		return err
	}); err != nil {
		return fmt.Errorf("create table %q: %w", name, err)
	}
	if err := l.buildTree(name); err != nil {
		return err
	}
	l.tables[name] = t
	return nil
}

// Tables returns the names of the registered tables, sorted.
func (l *Local) Tables() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]string, 0, len(l.tables))
	for name := range l.tables {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func (l *Local) table(name string) (localTable, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	t, ok := l.tables[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTable, name)
	}
	return t, nil
}

// Update implements Node: it merges values into the table in one batched
// transaction and returns after the commit, with the Stamp of what each
// value was merged into.
func (l *Local) Update(ctx context.Context, table string, values [][]byte) ([]uint64, error) {
	prior, _, err := l.updateFrom(ctx, table, values, originRemote)
	return prior, err
}

// markRef is a dirty mark an update made: the storage key and the mark's
// sequence number.
type markRef struct {
	key []byte
	seq uint64
}

// updateFrom is Update for a write of origin o; it also returns the dirty
// marks it made (none without leases).
func (l *Local) updateFrom(ctx context.Context, table string, values [][]byte, o origin) ([]uint64, []markRef, error) {
	t, err := l.table(table)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	enqueued := false
	var prior []uint64
	var marks []markRef
	err = l.db.Batch(func(btx *bolt.Tx) error {
		// Batch may run this again (alone) if another call of its batch
		// failed: start over each time.
		tx := &Tx{bolt: btx, now: l.now(), origin: o}
		prior = make([]uint64, len(values))
		for i, v := range values {
			p, err := t.apply(tx, v)
			if err != nil {
				return err
			}
			prior[i] = p
		}
		enqueued = enqueued || tx.enqueued
		marks = tx.marks
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("update %s: %w", table, err)
	}
	if enqueued {
		l.queue.wake()
	}
	return prior, marks, nil
}

// mark records, before tx commits, that key of table changes (a no-op
// without leases).
func (l *Local) mark(tx *Tx, table string, key []byte) {
	if l.leases == nil || tx.origin == originSync || !l.leases.applies(key[0]) {
		return
	}
	seq := l.leases.dirty.mark(table, key, tx.origin)
	if tx.origin == originOwn {
		tx.marks = append(tx.marks, markRef{key: key, seq: seq})
	}
}

// Get implements Node.
func (l *Local) Get(ctx context.Context, table string, pk, sk []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(table))
		if b == nil {
			return fmt.Errorf("%w %q", ErrUnknownTable, table)
		}
		if v := b.Get(storageKey(pk, sk)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}

// Range implements Node.
func (l *Local) Range(ctx context.Context, table string, pk []byte, q RangeQuery) ([][]byte, error) {
	t, err := l.table(table)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	err = l.scan(ctx, table, pk, q, func(v []byte) (bool, error) {
		ok, err := t.keep(q.Filter, v)
		if err != nil || !ok {
			return false, err
		}
		out = append(out, bytes.Clone(v))
		return q.Limit > 0 && len(out) >= q.Limit, nil
	})
	return out, err
}

// scan walks the stored values of the range of q (its Filter and Limit
// are the visitor's business) until visit says stop. Values are only valid
// during the visit.
func (l *Local) scan(ctx context.Context, table string, pk []byte, q RangeQuery, visit func(v []byte) (stop bool, err error)) error {
	h := HashPartitionKey(pk)
	base := h[:]
	prefix := append(bytes.Clone(base), q.Prefix...)
	return l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(table))
		if b == nil {
			return fmt.Errorf("%w %q", ErrUnknownTable, table)
		}
		c := b.Cursor()
		k, v := seekRange(c, base, prefix, q)
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step(c, q.Reverse) {
			if err := ctx.Err(); err != nil {
				return err
			}
			stop, err := visit(v)
			if err != nil || stop {
				return err
			}
		}
		return nil
	})
}

// seekRange positions c on the first entry of the query's range.
func seekRange(c *bolt.Cursor, base, prefix []byte, q RangeQuery) ([]byte, []byte) {
	if !q.Reverse {
		start := prefix
		if q.Start != nil {
			if s := append(bytes.Clone(base), q.Start...); bytes.Compare(s, prefix) > 0 {
				start = s
			}
		}
		return c.Seek(start)
	}
	if q.Start == nil {
		return seekLastWithPrefix(c, prefix)
	}
	s := append(bytes.Clone(base), q.Start...)
	switch {
	case bytes.HasPrefix(s, prefix):
		k, v := c.Seek(s)
		if k == nil {
			return c.Last()
		}
		if !bytes.Equal(k, s) {
			return c.Prev()
		}
		return k, v
	case bytes.Compare(s, prefix) < 0:
		return nil, nil
	default:
		return seekLastWithPrefix(c, prefix)
	}
}

func step(c *bolt.Cursor, reverse bool) ([]byte, []byte) {
	if reverse {
		return c.Prev()
	}
	return c.Next()
}

// seekLastWithPrefix positions c on the last key with the prefix.
func seekLastWithPrefix(c *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	end := prefixEnd(prefix)
	if end == nil {
		return c.Last()
	}
	if k, _ := c.Seek(end); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
