package table

import (
	"context"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// Lease limits of the lock server.
const (
	// DefaultLease is how long a cluster lock is held without renewal.
	DefaultLease = 10 * time.Second
	// maxLease bounds the lease a client may ask for.
	maxLease = time.Minute
	// lockWait is how long one table.lock request waits on the server for
	// a held lock before answering "not granted" (the client asks again).
	lockWait = 2 * time.Second
	// sweepAt is the number of leases above which expired ones are swept.
	sweepAt = 1024
)

// LockServer grants the leases of the cluster Locker for the keys this
// node is the lock node of. Leases live in memory only: when this node
// restarts or dies, its leases are gone, and clients go to the next live
// replica of the key's partition (see ClusterLocker for what that means).
type LockServer struct {
	now func() time.Time

	mu      sync.Mutex
	leases  map[string]lease
	changed chan struct{} // closed and replaced when a lease is released
}

type lease struct {
	token   string
	holder  cluster.NodeID
	expires time.Time
}

type (
	lockReq struct {
		Key   []byte `cbor:"1,keyasint"`
		Token []byte `cbor:"2,keyasint"`
		// LeaseMS is the lease asked for, in milliseconds.
		LeaseMS int64 `cbor:"3,keyasint"`
		// NoWait answers at once when the lock is held by another
		// token (renewals).
		NoWait bool `cbor:"4,keyasint"`
	}
	lockRes struct {
		Granted bool `cbor:"1,keyasint"`
	}
	unlockReq struct {
		Key   []byte `cbor:"1,keyasint"`
		Token []byte `cbor:"2,keyasint"`
	}
)

// NewLockServer returns a lock server on the clock now (time.Now if nil).
func NewLockServer(now func() time.Time) *LockServer {
	if now == nil {
		now = time.Now
	}
	return &LockServer{now: now, leases: map[string]lease{}, changed: make(chan struct{})}
}

// Register serves table.lock and table.unlock on r.
func (s *LockServer) Register(r Registrar) {
	r.Handle(MethodLock, serve(func(ctx context.Context, from cluster.NodeID, req lockReq) (lockRes, error) {
		ok, err := s.acquire(ctx, from, req.Key, string(req.Token), time.Duration(req.LeaseMS)*time.Millisecond, !req.NoWait)
		return lockRes{Granted: ok}, err
	}))
	r.Handle(MethodUnlock, serve(func(_ context.Context, _ cluster.NodeID, req unlockReq) (empty, error) {
		s.release(req.Key, string(req.Token))
		return empty{}, nil
	}))
}

// acquire grants (or renews) the lease on key to token if it is free,
// expired or already token's. Otherwise, if wait, it waits for a release
// or the expiry, up to lockWait, and reports whether it granted.
func (s *LockServer) acquire(ctx context.Context, from cluster.NodeID, key []byte, token string, d time.Duration, wait bool) (bool, error) {
	if d <= 0 {
		d = DefaultLease
	}
	d = min(d, maxLease)
	giveUp := time.NewTimer(lockWait)
	defer giveUp.Stop()
	for {
		s.mu.Lock()
		now := s.now()
		l, held := s.leases[string(key)]
		if !held || l.token == token || !now.Before(l.expires) {
			if len(s.leases) >= sweepAt {
				s.sweep(now)
			}
			s.leases[string(key)] = lease{token: token, holder: from, expires: now.Add(d)}
			s.mu.Unlock()
			return true, nil
		}
		changed := s.changed
		s.mu.Unlock()
		if !wait {
			return false, nil
		}
		expiry := time.NewTimer(l.expires.Sub(now))
		select {
		case <-changed:
		case <-expiry.C:
		case <-giveUp.C:
			expiry.Stop()
			return false, nil
		case <-ctx.Done():
			expiry.Stop()
			return false, ctx.Err()
		}
		expiry.Stop()
	}
}

// release ends token's lease on key; a lease that expired and went to
// another token is left alone.
func (s *LockServer) release(key []byte, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[string(key)]; ok && l.token == token {
		delete(s.leases, string(key))
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// sweep drops expired leases. s.mu is held.
func (s *LockServer) sweep(now time.Time) {
	for k, l := range s.leases {
		if !now.Before(l.expires) {
			delete(s.leases, k)
		}
	}
}

// Held returns the number of leases not yet expired (for metrics).
func (s *LockServer) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, l := range s.leases {
		if now.Before(l.expires) {
			n++
		}
	}
	return n
}
