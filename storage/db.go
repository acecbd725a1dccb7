package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DB is the node's metadata database.
type DB struct {
	bolt *bolt.DB

	// Group commit: calls waiting for the next transaction, and whether a
	// committer goroutine is running.
	mu      sync.Mutex
	pending []*batchCall
	running bool
}

// maxBatchCalls bounds the calls grouped in one transaction.
const maxBatchCalls = 1024

type batchCall struct {
	fn   func(*bolt.Tx) error
	done chan error
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
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: locked by another process (is another garage-web running on this metadata_dir?)", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{bolt: b}, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.bolt.Close() }

// Batch runs fn in a read-write transaction that may be shared with other
// concurrent callers; it returns after the transaction is committed to
// stable storage. fn may be called more than once and must be idempotent.
//
// Unlike bolt.DB.Batch it waits for no timer: a call made while no commit
// is running starts one at once, and calls made during a commit all go
// into the next one. A lone writer pays no added latency; many writers
// share each commit's fsyncs.
func (db *DB) Batch(fn func(tx *bolt.Tx) error) error {
	c := &batchCall{fn: fn, done: make(chan error, 1)}
	db.mu.Lock()
	db.pending = append(db.pending, c)
	if !db.running {
		db.running = true
		go db.commitLoop()
	}
	db.mu.Unlock()
	return <-c.done
}

// commitLoop commits pending calls, a group at a time, until none is left.
func (db *DB) commitLoop() {
	for {
		db.mu.Lock()
		calls := db.pending
		if len(calls) > maxBatchCalls {
			calls = calls[:maxBatchCalls:maxBatchCalls]
			db.pending = db.pending[maxBatchCalls:]
		} else {
			db.pending = nil
		}
		if len(calls) == 0 {
			db.running = false
			db.mu.Unlock()
			return
		}
		db.mu.Unlock()
		db.commitGroup(calls)
	}
}

// commitGroup runs calls in one transaction. If one fails, it gets its
// error and the others run again without it.
func (db *DB) commitGroup(calls []*batchCall) {
	for len(calls) > 0 {
		failed := -1
		var failErr error
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := safeCall(c.fn, tx); err != nil {
					failed, failErr = i, err
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.done <- err // nil, or the commit's own error
			}
			return
		}
		calls[failed].done <- failErr
		calls = append(calls[:failed:failed], calls[failed+1:]...)
	}
}

// safeCall runs fn, turning a panic into an error so that one bad call
// cannot take the whole group (and the committer) down.
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in metadata transaction: %v", p)
		}
	}()
	return fn(tx)
}

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
