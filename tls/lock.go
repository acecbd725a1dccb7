package autotls

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/garage-web/garage-web/model"
)

// The lock protocol. A lock is a map from node id to that node's claim (a
// token and an expiry), each a last-writer-wins register that only its
// node writes. To lock name, a node
//
//  1. reads the claims from a read quorum; if another node's claim is
//     live (not expired), it waits (Poll) and starts again;
//  2. writes its own claim, expiring Lease from now, to a write quorum;
//  3. reads the claims again from a read quorum: if another node's claim
//     is live there, both may have reached step 3 at once, so it withdraws
//     its claim and starts again after a random back-off; if not, it holds
//     the lock.
//
// Why two nodes cannot both hold it: say A's write (step 2) completed
// before B's. B's read (step 3) started after B's write, so after A's
// write completed; read and write quorums intersect, so B's read sees A's
// claim and B withdraws. (A may withdraw too, if it saw B's claim: then
// nobody holds it and both retry; the random back-off breaks the tie.)
// This is the "raise your flag, then look" mutual exclusion; it needs no
// leader, only quorum reads and writes, which the tables provide.
//
// The holder rewrites its claim every Lease/3 with a new expiry. If it
// dies, its claim expires Lease after the last renewal and the next node
// to look finds no live claim: the lock is taken over. A node's own claim
// left by a previous run of the same node (it crashed) does not block it.
// Within one process, a per-name semaphore lets one goroutine at a time
// claim a name.

// ErrNotLocked is returned by Unlock and RenewLockLease for a name this
// node does not hold.
var ErrNotLocked = errors.New("lock not held by this node")

// nameLock is one lock name in this process.
type nameLock struct {
	sem   chan struct{} // one slot: the goroutine that holds or claims it
	users int           // goroutines holding or waiting; guarded by Storage.mu
	held  *lease        // non-nil while held; guarded by Storage.mu
}

// lease is a held lock, renewed in the background until stop is closed.
type lease struct {
	token string
	dur   atomic.Int64 // renewal length in ns, raised by RenewLockLease
	stop  chan struct{}
	done  chan struct{}
}

// Lock implements certmagic.Locker: it blocks until this node holds name
// or ctx ends.
func (s *Storage) Lock(ctx context.Context, name string) error {
	nl, err := s.acquireLocal(ctx, name)
	if err != nil {
		return err
	}
	token := newToken()
	for collisions := 0; ; {
		won, collided, err := s.tryClaim(ctx, name, token)
		if err != nil {
			s.releaseLocal(name, nl)
			return fmt.Errorf("lock %q: %w", name, err)
		}
		if won {
			l := &lease{token: token, stop: make(chan struct{}), done: make(chan struct{})}
			l.dur.Store(int64(s.lease))
			s.mu.Lock()
			nl.held = l
			s.mu.Unlock()
			go s.renew(name, l)
			return nil
		}
		wait := jitter(s.poll)
		if collided {
			// Both withdrew: a random back-off, longer after each
			// collision, lets one of them go first next time.
			collisions++
			wait = time.Duration(rand.Int64N(int64(s.poll) << min(collisions, 5)))
		}
		if err := sleep(ctx, wait); err != nil {
			s.releaseLocal(name, nl)
			return fmt.Errorf("lock %q: %w", name, err)
		}
	}
}

// tryClaim runs steps 1 to 3 of the protocol once. collided is true when
// it withdrew its claim after seeing another one (step 3).
func (s *Storage) tryClaim(ctx context.Context, name, token string) (won, collided bool, err error) {
	claims, err := s.files.CertLockClaims(ctx, name)
	if err != nil {
		return false, false, err
	}
	if s.otherLive(claims) {
		return false, false, nil
	}
	claim := &model.CertLockClaim{Token: token, Expires: s.now().Add(s.lease).UnixMilli()}
	if err := s.files.SetCertLockClaim(ctx, name, s.owner, claim); err != nil {
		s.withdraw(ctx, name)
		return false, false, err
	}
	claims, err = s.files.CertLockClaims(ctx, name)
	if err != nil {
		s.withdraw(ctx, name)
		return false, false, err
	}
	if s.otherLive(claims) {
		s.withdraw(ctx, name)
		return false, true, nil
	}
	return true, false, nil
}

// otherLive reports whether another node holds a live claim.
func (s *Storage) otherLive(claims map[string]model.CertLockClaim) bool {
	now := s.now()
	for owner, c := range claims {
		if owner != s.owner && c.Live(now) {
			return true
		}
	}
	return false
}

// withdraw releases this node's claim, best effort: if the write fails,
// the claim expires with its lease.
func (s *Storage) withdraw(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.lease/3)
	defer cancel()
	return s.files.SetCertLockClaim(ctx, name, s.owner, nil)
}

// renew rewrites the claim every third of the lease until l.stop closes.
func (s *Storage) renew(name string, l *lease) {
	defer close(l.done)
	t := time.NewTicker(s.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.lease/3)
		claim := &model.CertLockClaim{Token: l.token, Expires: s.now().Add(time.Duration(l.dur.Load())).UnixMilli()}
		if err := s.files.SetCertLockClaim(ctx, name, s.owner, claim); err != nil {
			s.log.Warn("could not renew the lease of a TLS storage lock; another node may take it over", "lock", name, "err", err)
		}
		cancel()
	}
}

// Unlock implements certmagic.Locker.
func (s *Storage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	nl := s.names[name]
	var l *lease
	if nl != nil {
		l, nl.held = nl.held, nil
	}
	s.mu.Unlock()
	if l == nil {
		return fmt.Errorf("unlock %q: %w", name, ErrNotLocked)
	}
	close(l.stop)
	<-l.done
	err := s.withdraw(ctx, name)
	s.releaseLocal(name, nl)
	if err != nil {
		return fmt.Errorf("unlock %q (the lease will expire by itself): %w", name, err)
	}
	return nil
}

// RenewLockLease implements certmagic.LockLeaseRenewer: the lock is held
// for at least d from now, and renewed by that much from then on (never
// less than the storage's lease).
func (s *Storage) RenewLockLease(ctx context.Context, name string, d time.Duration) error {
	s.mu.Lock()
	var l *lease
	if nl := s.names[name]; nl != nil {
		l = nl.held
	}
	s.mu.Unlock()
	if l == nil {
		return fmt.Errorf("renew lock %q: %w", name, ErrNotLocked)
	}
	d = max(d, s.lease)
	l.dur.Store(int64(d))
	claim := &model.CertLockClaim{Token: l.token, Expires: s.now().Add(d).UnixMilli()}
	return s.files.SetCertLockClaim(ctx, name, s.owner, claim)
}

// acquireLocal takes the in-process semaphore of name.
func (s *Storage) acquireLocal(ctx context.Context, name string) (*nameLock, error) {
	s.mu.Lock()
	nl := s.names[name]
	if nl == nil {
		nl = &nameLock{sem: make(chan struct{}, 1)}
		s.names[name] = nl
	}
	nl.users++
	s.mu.Unlock()
	select {
	case nl.sem <- struct{}{}:
		return nl, nil
	case <-ctx.Done():
		s.dropUser(name, nl)
		return nil, fmt.Errorf("lock %q: %w", name, ctx.Err())
	}
}

// releaseLocal gives the semaphore of name back.
func (s *Storage) releaseLocal(name string, nl *nameLock) {
	<-nl.sem
	s.dropUser(name, nl)
}

func (s *Storage) dropUser(name string, nl *nameLock) {
	s.mu.Lock()
	nl.users--
	if nl.users == 0 {
		delete(s.names, name)
	}
	s.mu.Unlock()
}

func newToken() string {
	b := make([]byte, 16)
	crand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}
