package table

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// put replaces the stored value old (nil if the key was absent) of key in
// the bucket b of table by enc, or deletes the key when enc is nil. Every
// change of a stored entry goes through put, inside the transaction that
// makes it, so that what is kept beside a table (its Merkle tree) changes
// atomically with it.
//
// The tree learns what key held before from its own leaf index, so old is
// informational only.
func (l *Local) put(tx *bolt.Tx, table string, b *bolt.Bucket, key, old, enc []byte) error {
	// The tree first: enc and old may point into pages that the write
	// below changes.
	if err := merkleUpdate(tx, table, key, enc); err != nil {
		return fmt.Errorf("merkle tree of %s: %w", table, err)
	}
	if enc == nil {
		return b.Delete(key)
	}
	return b.Put(key, enc)
}
