package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DB is the node's metadata database.
type DB struct {
	bolt *bolt.DB
}

// OpenDB opens (creating if needed) the metadata database in dir.
func OpenDB(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create metadata dir: %w", err)
	}
	path := filepath.Join(dir, "db.bolt")
	b, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 2 * time.Second, // another process holding the lock
		// The freelist is rebuilt on open rather than written on every
		// commit: fewer pages written per commit.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open %s: locked by another process (is another garage-web running on this metadata_dir?)", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Group commits: many concurrent writers share one fsync.
	b.MaxBatchDelay = 2 * time.Millisecond
	b.MaxBatchSize = 512
	return &DB{bolt: b}, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.bolt.Close() }

// Batch runs fn in a read-write transaction that may be shared with other
// concurrent callers; it returns after the transaction is committed to
// stable storage. fn may be called more than once and must be idempotent.
func (db *DB) Batch(fn func(tx *bolt.Tx) error) error { return db.bolt.Batch(fn) }

// Update runs fn in its own read-write transaction.
func (db *DB) Update(fn func(tx *bolt.Tx) error) error { return db.bolt.Update(fn) }

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(tx *bolt.Tx) error) error { return db.bolt.View(fn) }

// Size returns the database file size in bytes.
func (db *DB) Size() int64 {
	var n int64
	_ = db.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}
