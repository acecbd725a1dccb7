package table

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// lockCluster is three nodes, each with a lock server on its own clock
// and a ClusterLocker, all on one fakeNet. Every key's partition has the
// replicas n0, n1, n2 in that order.
type lockCluster struct {
	net     *fakeNet
	ids     []cluster.NodeID
	clocks  []*fakeClock
	servers []*LockServer
	lockers []*ClusterLocker
	mu      sync.Mutex
	down    map[cluster.NodeID]bool
}

func newLockCluster(t testing.TB) *lockCluster {
	t.Helper()
	c := &lockCluster{net: newFakeNet(), down: map[cluster.NodeID]bool{}}
	for i := 0; i < 3; i++ {
		c.ids = append(c.ids, testID(i))
	}
	for _, id := range c.ids {
		clock := newFakeClock()
		s := NewLockServer(clock.Now)
		s.Register(c.net.registrar(id))
		l, err := NewClusterLocker(ClusterLockerConfig{
			Self: id, Server: s, Caller: c.net.caller(id),
			Replicas: func(uint8) []cluster.NodeID { return c.ids },
			Alive: func(n cluster.NodeID) bool {
				c.mu.Lock()
				defer c.mu.Unlock()
				return !c.down[n]
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		c.clocks = append(c.clocks, clock)
		c.servers = append(c.servers, s)
		c.lockers = append(c.lockers, l)
	}
	return c
}

func TestClusterLockMutualExclusion(t *testing.T) {
	c := newLockCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var inside, maxInside, total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for g := 0; g < 30; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := c.lockers[g%3] // n0 locally, n1 and n2 over RPC
			for i := 0; i < 10; i++ {
				unlock, err := l.Lock(ctx, []byte("bucket-name"))
				if err != nil {
					errs <- err
					return
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				total.Add(1)
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if maxInside.Load() != 1 || total.Load() != 300 {
		t.Fatalf("%d holders at once (want 1), %d critical sections (want 300)", maxInside.Load(), total.Load())
	}
	if n := c.servers[0].Held(); n != 0 {
		t.Fatalf("%d leases left after every unlock", n)
	}
}

func TestClusterLockLeaseExpires(t *testing.T) {
	c := newLockCluster(t)
	ctx := context.Background()
	key := []byte("k")
	// n1 takes the lock (lease on n0) and dies without unlocking.
	unlock1, err := c.lockers[1].Lock(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	// While the lease runs, n2 cannot get it.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.lockers[2].Lock(short, key); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock while held: %v, want to wait until ctx ends", err)
	}
	// Once the lease is over on the lock node's clock, n2 gets it.
	c.clocks[0].Advance(DefaultLease)
	unlock2, err := c.lockers[2].Lock(ctx, key)
	if err != nil {
		t.Fatalf("lock after the holder's lease expired: %v", err)
	}
	// The late unlock of the dead holder does not free n2's lock.
	unlock1()
	if _, err := c.lockers[0].Lock(short2(t), key); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock after a stale unlock: %v, want still held by n2", err)
	}
	unlock2()
	unlock3, err := c.lockers[0].Lock(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	unlock3()
}

func short2(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestClusterLockFallsBackToNextNode(t *testing.T) {
	c := newLockCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := []byte("k")
	// The lock node n0 does not answer (membership has not noticed).
	c.net.mu.Lock()
	delete(c.net.handlers, c.ids[0])
	c.net.mu.Unlock()
	unlock, err := c.lockers[1].Lock(ctx, key)
	if err != nil {
		t.Fatalf("lock with the first lock node silent: %v", err)
	}
	if c.servers[1].Held() != 1 {
		t.Fatalf("lease not on the next node (n1 holds %d)", c.servers[1].Held())
	}
	unlock()
	// Membership marks n0 and n1 down: n2 is the lock node, for every node.
	c.mu.Lock()
	c.down[c.ids[0]], c.down[c.ids[1]] = true, true
	c.mu.Unlock()
	unlock, err = c.lockers[2].Lock(ctx, key)
	if err != nil || c.servers[2].Held() != 1 {
		t.Fatalf("lock on n2: %v (n2 holds %d)", err, c.servers[2].Held())
	}
	unlock()
	// A gateway (no lock server, not a replica) that reaches no lock
	// node gets ErrQuorum at once, not a wait.
	c.net.setCut(c.ids[2], true)
	gw, err := NewClusterLocker(ClusterLockerConfig{
		Self: testID(9), Caller: c.net.caller(testID(9)),
		Replicas: func(uint8) []cluster.NodeID { return c.ids },
		Alive:    func(n cluster.NodeID) bool { return n == c.ids[2] },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gw.Lock(ctx, key); !errors.Is(err, ErrQuorum) {
		t.Fatalf("lock with no lock node answering: %v, want ErrQuorum", err)
	}
}

func TestClusterLockRenewsWhileHeld(t *testing.T) {
	clock := newFakeClock()
	s := NewLockServer(clock.Now)
	self := testID(0)
	l, err := NewClusterLocker(ClusterLockerConfig{
		Self: self, Server: s, Lease: 30 * time.Millisecond,
		Replicas: func(uint8) []cluster.NodeID { return []cluster.NodeID{self} },
		Alive:    func(cluster.NodeID) bool { return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("k")
	unlock, err := l.Lock(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	expiry := func() time.Time {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.leases[string(key)].expires
	}
	first := expiry()
	clock.Advance(20 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for !expiry().After(first) {
		if time.Now().After(deadline) {
			t.Fatal("lease not renewed while held")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Past the first lease, the renewed one still holds the key.
	clock.Advance(20 * time.Millisecond)
	if ok, _ := s.acquire(context.Background(), testID(1), key, "other", time.Second, false); ok {
		t.Fatal("lock granted to another holder while renewed")
	}
}
