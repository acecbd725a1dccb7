package table

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// buildTree makes sure table has a complete Merkle tree of the current
// format, building it from the table's entries when it is missing (a table
// written before trees existed) or of another format. The build runs in
// transactions of merkleRebuildBatch entries, in storage-key order, and
// records how far it got: changes made meanwhile (Local.put) are applied
// to the tree only for keys the build has passed, and a build interrupted
// by a crash goes on from there at the next start.
func (l *Local) buildTree(table string) error {
	var cursor []byte
	start := false
	err := l.db.Update(func(tx *bolt.Tx) error {
		mb, err := tx.CreateBucketIfNotExists(merkleBucket)
		if err != nil {
			return err
		}
		tb := mb.Bucket([]byte(table))
		if tb != nil {
			m, ok := readMerkleMeta(tb)
			if ok && m.format == merkleFormat {
				if m.state == merkleReady {
					return nil
				}
				start, cursor = true, bytes.Clone(m.cursor)
				return nil
			}
			if err := mb.DeleteBucket([]byte(table)); err != nil {
				return err
			}
		}
		if tb, err = mb.CreateBucket([]byte(table)); err != nil {
			return err
		}
		start = true
		return writeMerkleMeta(tb, merkleMeta{format: merkleFormat, state: merkleBuilding})
	})
	if err != nil {
		return fmt.Errorf("merkle tree of %q: %w", table, err)
	}
	if !start {
		return nil
	}
	l.log.Info("building merkle tree", "table", table, "resume", cursor != nil)
	n := 0
	for done := false; !done; {
		err := l.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(table))
			tb := treeBucket(tx, table)
			if b == nil || tb == nil {
				return fmt.Errorf("bucket vanished")
			}
			c := b.Cursor()
			var k, v []byte
			if cursor == nil {
				k, v = c.First()
			} else if k, v = c.Seek(cursor); k != nil && bytes.Equal(k, cursor) {
				k, v = c.Next()
			}
			i := 0
			for ; k != nil && i < merkleRebuildBatch; k, v = c.Next() {
				if v == nil {
					continue // nested bucket: not an entry
				}
				if err := merkleSet(tb, k, v); err != nil {
					return err
				}
				cursor = bytes.Clone(k)
				i++
			}
			n += i
			m := merkleMeta{format: merkleFormat, state: merkleBuilding, cursor: cursor}
			if k == nil {
				m, done = merkleMeta{format: merkleFormat, state: merkleReady}, true
			}
			return writeMerkleMeta(tb, m)
		})
		if err != nil {
			return fmt.Errorf("build merkle tree of %q: %w", table, err)
		}
	}
	l.log.Info("merkle tree built", "table", table, "entries", n)
	return nil
}
