package autotls

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// crash stops renewing a held lock without releasing it, as if the node
// died while holding it.
func (s *Storage) crash(name string) {
	s.mu.Lock()
	nl := s.names[name]
	l := nl.held
	nl.held = nil
	s.mu.Unlock()
	close(l.stop)
	<-l.done
	s.releaseLocal(name, nl)
}

func mustLock(t testing.TB, s *Storage, name string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := s.Lock(ctx, name); err != nil {
		t.Fatalf("%s: Lock(%q): %v", s, name, err)
	}
}

func mustUnlock(t testing.TB, s *Storage, name string) {
	t.Helper()
	if err := s.Unlock(context.Background(), name); err != nil {
		t.Fatalf("%s: Unlock(%q): %v", s, name, err)
	}
}

// lockFails checks that Lock does not succeed within d.
func lockFails(t testing.TB, s *Storage, name string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.Lock(ctx, name); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			s.Unlock(context.Background(), name)
		}
		t.Fatalf("%s: Lock(%q) = %v while another node holds it, want a deadline error", s, name, err)
	}
}

// Two nodes (and two goroutines on each) taking the same lock over a
// three-replica cluster never are in the critical section together, and
// every attempt gets in.
func TestLockMutualExclusion(t *testing.T) {
	ms := mustCluster(t, 3)
	opts := StorageOptions{Lease: 5 * time.Second, Poll: 5 * time.Millisecond}
	nodes := []*Storage{NewStorage(ms[0], "node-a", opts), NewStorage(ms[1], "node-b", opts)}
	const rounds = 10
	var inside, maxInside, entered atomic.Int32
	var wg sync.WaitGroup
	for _, s := range nodes {
		for range 2 {
			wg.Go(func() {
				for range rounds {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					err := s.Lock(ctx, "issue_cert_blog.example.com")
					cancel()
					if err != nil {
						t.Errorf("%s: Lock: %v", s, err)
						return
					}
					n := inside.Add(1)
					for m := maxInside.Load(); n > m && !maxInside.CompareAndSwap(m, n); m = maxInside.Load() {
					}
					entered.Add(1)
					time.Sleep(2 * time.Millisecond)
					inside.Add(-1)
					if err := s.Unlock(context.Background(), "issue_cert_blog.example.com"); err != nil {
						t.Errorf("%s: Unlock: %v", s, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if m := maxInside.Load(); m != 1 {
		t.Errorf("%d lock holders at once, want 1", m)
	}
	if n := entered.Load(); n != 4*rounds {
		t.Errorf("%d critical sections, want %d", n, 4*rounds)
	}
}

// A held lock blocks other nodes until it is released; other names are
// independent.
func TestLockBlocksUntilUnlock(t *testing.T) {
	ms := mustCluster(t, 3)
	opts := StorageOptions{Lease: 5 * time.Second, Poll: 10 * time.Millisecond}
	a, b := NewStorage(ms[0], "node-a", opts), NewStorage(ms[2], "node-b", opts)
	mustLock(t, a, "x", 5*time.Second)
	lockFails(t, b, "x", 300*time.Millisecond)
	mustLock(t, b, "y", 5*time.Second) // another name
	mustUnlock(t, b, "y")

	got := make(chan time.Time, 1)
	go func() {
		mustLock(t, b, "x", 10*time.Second)
		got <- time.Now()
	}()
	time.Sleep(100 * time.Millisecond)
	released := time.Now()
	mustUnlock(t, a, "x")
	select {
	case at := <-got:
		if at.Before(released) {
			t.Errorf("b got the lock before a released it")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b did not get the lock after a released it")
	}
	mustUnlock(t, b, "x")

	if err := a.Unlock(context.Background(), "x"); !errors.Is(err, ErrNotLocked) {
		t.Errorf("Unlock of a lock not held: %v, want ErrNotLocked", err)
	}
	if err := a.RenewLockLease(context.Background(), "x", time.Minute); !errors.Is(err, ErrNotLocked) {
		t.Errorf("RenewLockLease of a lock not held: %v, want ErrNotLocked", err)
	}
}

// The holder renews its lease: holding a lock for several leases does not
// let another node in.
func TestLockLeaseRenewed(t *testing.T) {
	ms := mustCluster(t, 3)
	opts := StorageOptions{Lease: 300 * time.Millisecond, Poll: 10 * time.Millisecond}
	a, b := NewStorage(ms[0], "node-a", opts), NewStorage(ms[1], "node-b", opts)
	mustLock(t, a, "renew", 5*time.Second)
	lockFails(t, b, "renew", 1200*time.Millisecond) // four leases
	mustUnlock(t, a, "renew")
	mustLock(t, b, "renew", 5*time.Second)
	mustUnlock(t, b, "renew")
}

// When the holder dies, its lease expires and another node takes the lock
// over: not before the expiry, and soon after it.
func TestLockExpiredLeaseTakenOver(t *testing.T) {
	ms := mustCluster(t, 3)
	const lease = 600 * time.Millisecond
	opts := StorageOptions{Lease: lease, Poll: 20 * time.Millisecond}
	a, b := NewStorage(ms[0], "node-a", opts), NewStorage(ms[1], "node-b", opts)
	mustLock(t, a, "dead", 5*time.Second)
	a.crash("dead")
	claims, err := ms[1].CertLockClaims(context.Background(), "dead")
	if err != nil {
		t.Fatal(err)
	}
	expires := time.UnixMilli(claims["node-a"].Expires)
	if time.Until(expires) <= 0 {
		t.Fatalf("the dead holder's claim already expired (%v): lease too short for this machine", expires)
	}
	mustLock(t, b, "dead", 5*time.Second)
	at := time.Now()
	if at.Before(expires) {
		t.Errorf("lock taken over at %v, before the dead holder's lease expired at %v", at, expires)
	}
	if late := at.Sub(expires); late > lease {
		t.Errorf("lock taken over %v after the lease expired, want within %v", late, lease)
	}
	mustUnlock(t, b, "dead")

	// A node restarted after a crash is not blocked by its own old claim.
	mustLock(t, a, "dead", time.Second)
	a.crash("dead")
	a2 := NewStorage(ms[0], "node-a", opts)
	mustLock(t, a2, "dead", 200*time.Millisecond)
	mustUnlock(t, a2, "dead")
}

// RenewLockLease makes the claim outlive the storage's own lease.
func TestRenewLockLease(t *testing.T) {
	ms := mustCluster(t, 1)
	s := NewStorage(ms[0], "node-a", StorageOptions{Lease: time.Second})
	mustLock(t, s, "long", time.Second)
	defer mustUnlock(t, s, "long")
	if err := s.RenewLockLease(context.Background(), "long", time.Hour); err != nil {
		t.Fatal(err)
	}
	claims, err := ms[0].CertLockClaims(context.Background(), "long")
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(time.UnixMilli(claims["node-a"].Expires)); left < 59*time.Minute {
		t.Errorf("lease ends in %v after RenewLockLease(1h)", left)
	}
}

// Lock honours its context while waiting, and a cancelled wait leaves no
// claim behind.
func TestLockContext(t *testing.T) {
	ms := mustCluster(t, 1)
	opts := StorageOptions{Lease: 5 * time.Second, Poll: 10 * time.Millisecond}
	a, b := NewStorage(ms[0], "a", opts), NewStorage(ms[0], "b", opts)
	mustLock(t, a, "n", time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Lock(ctx, "n") }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Lock = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lock did not return after its context was cancelled")
	}
	claims, err := ms[0].CertLockClaims(context.Background(), "n")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := claims["b"]; ok {
		t.Errorf("a cancelled Lock left a claim: %+v", claims)
	}
	mustUnlock(t, a, "n")
}
