package table

import (
	"context"
	"hash/maphash"
	"sync"
)

// Locker serialises decisions about one key (creating a bucket name,
// completing or aborting an upload, a conditional write) across the
// cluster: while a caller holds the lock on key, no other caller holding
// a lock from the same Locker on that key runs.
//
// A cluster implementation routes the lock to one node (the first live
// replica of the key's partition); holding it is a lease that ends on
// unlock, when ctx ends, or when the lease times out, so a holder that
// dies never blocks the key for ever. Callers still read at quorum after
// locking and before writing: the lock orders decisions, the quorum read
// makes each decision see the ones before it.
type Locker interface {
	// Lock blocks until the caller holds the lock on key, or ctx ends.
	// unlock must be called exactly once.
	Lock(ctx context.Context, key []byte) (unlock func(), err error)
}

// LocalLocker is a Locker for one process: a fixed set of mutexes picked
// by the key's hash. The zero value is ready to use.
type LocalLocker struct {
	once sync.Once
	seed maphash.Seed
	mu   [256]chanMutex
}

// chanMutex is a mutex whose Lock can give up when a context ends.
type chanMutex chan struct{}

var _ Locker = (*LocalLocker)(nil)

// Lock implements Locker.
func (l *LocalLocker) Lock(ctx context.Context, key []byte) (func(), error) {
	l.once.Do(func() {
		l.seed = maphash.MakeSeed()
		for i := range l.mu {
			l.mu[i] = make(chanMutex, 1)
		}
	})
	m := l.mu[maphash.Bytes(l.seed, key)%uint64(len(l.mu))]
	select {
	case m <- struct{}{}:
		return func() { <-m }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
