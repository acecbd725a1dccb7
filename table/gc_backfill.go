package table

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// gcMetaBucket records, per table name, that the entries stored before
// the GC existed were scanned (Backfill).
var gcMetaBucket = []byte("_gc_meta")

// Backfill records to-do items for the tombstones and compactable entries
// that were stored before this code recorded them in apply (a database
// from an older version). Each table is scanned once, gcBatch keys per
// transaction; later calls only check that every registered table was.
// It returns how many items it recorded.
func (g *GC) Backfill(ctx context.Context) (int, error) {
	l := g.cfg.Local
	l.mu.RLock()
	names := make([]string, 0, len(l.tables))
	for name := range l.tables {
		names = append(names, name)
	}
	l.mu.RUnlock()
	slices.Sort(names)
	total := 0
	for _, name := range names {
		var done bool
		if err := l.db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket(gcMetaBucket); b != nil {
				done = b.Get([]byte(name)) != nil
			}
			return nil
		}); err != nil {
			return total, err
		}
		if done {
			continue
		}
		n, err := g.backfillTable(ctx, name)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// backfillTable scans one table and marks it scanned.
func (g *GC) backfillTable(ctx context.Context, name string) (int, error) {
	l := g.cfg.Local
	t, err := l.table(name)
	if err != nil {
		return 0, err
	}
	gt, ok := t.(gcTable)
	if !ok {
		return 0, nil
	}
	total := 0
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		finished := false
		n := 0
		err := l.db.Update(func(tx *bolt.Tx) error {
			n = 0
			b := tx.Bucket([]byte(name))
			if b == nil {
				return fmt.Errorf("%w %q", ErrUnknownTable, name)
			}
			now := l.now()
			c := b.Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			seen := 0
			for ; k != nil && seen < gcBatch; k, v = c.Next() {
				seen++
				after = bytes.Clone(k)
				a, _, err := gt.gcPlan(v, farFuture)
				if err != nil {
					return err
				}
				if a == gcNone {
					continue
				}
				if err := recordGCTodo(tx, now, name, k, v); err != nil {
					return err
				}
				n++
			}
			if k == nil {
				finished = true
				meta, err := tx.CreateBucketIfNotExists(gcMetaBucket)
				if err != nil {
					return err
				}
				return meta.Put([]byte(name), []byte{1})
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("backfill GC of %s: %w", name, err)
		}
		total += n
		if finished {
			return total, nil
		}
	}
}
