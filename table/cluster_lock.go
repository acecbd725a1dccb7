package table

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// ClusterLockerConfig is what a ClusterLocker needs of the cluster.
type ClusterLockerConfig struct {
	// Self is this node; Server is its lock server, asked directly (not
	// over RPC) when this node is the lock node of a key.
	Self   cluster.NodeID
	Server *LockServer
	// Caller reaches the lock servers of the other nodes.
	Caller Caller
	// Replicas returns the replica ids of a partition in layout order
	// (the same order on every node: the lock node of a key is the first
	// live one).
	Replicas func(partition uint8) []cluster.NodeID
	// Alive reports whether a node is up as far as membership knows.
	Alive func(cluster.NodeID) bool
	// Lease is how long a lock lasts without renewal (DefaultLease if 0).
	// The holder renews it every Lease/3 while it holds the lock.
	Lease time.Duration
	Log   *slog.Logger
}

// ClusterLocker is the Locker of a cluster. Lock(key) goes to the lock
// node of key: the first live replica (in layout order) of the partition
// of HashPartitionKey(key). That node grants a lease, which the holder
// renews while it holds the lock and ends on unlock.
//
// What happens when things die:
//   - The holder dies (or loses contact with the lock node): its lease is
//     not renewed and expires after at most Lease; then the next caller
//     gets the lock. Until then the key waits.
//   - The lock node dies: its leases (in memory) are gone. Callers that
//     do not reach it, or that membership already marks down, go to the
//     next live replica, which grants at once. A holder's lease on the
//     dead node is not carried over, so for up to one lease a caller that
//     went to the next node may run alongside a holder that still thinks
//     it holds the lock; and a network partition can make two sides pick
//     two lock nodes. The lock orders decisions in the common case; the
//     quorum read after locking and the CRDT merge keep such overlaps
//     safe, as Locker's doc says.
type ClusterLocker struct {
	cfg ClusterLockerConfig
}

var _ Locker = (*ClusterLocker)(nil)

// NewClusterLocker returns the cluster locker of cfg.
func NewClusterLocker(cfg ClusterLockerConfig) (*ClusterLocker, error) {
	if cfg.Replicas == nil || cfg.Alive == nil {
		return nil, errors.New("cluster locker: Replicas and Alive are required")
	}
	if cfg.Server == nil && cfg.Caller == nil {
		return nil, errors.New("cluster locker: Server or Caller is required")
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	cfg.Lease = min(cfg.Lease, maxLease)
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &ClusterLocker{cfg: cfg}, nil
}

// Lock implements Locker. It fails with an error wrapping ErrQuorum when
// no replica of the key's partition answers.
func (l *ClusterLocker) Lock(ctx context.Context, key []byte) (func(), error) {
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("lock: token: %w", err)
	}
	token := string(tok)
	for {
		var errs []error
		for _, n := range l.lockNodes(key) {
			granted, err := l.try(ctx, n, key, token, true)
			if err == nil && granted {
				return l.held(n, key, token), nil
			}
			if err == nil {
				errs = nil // the lock node answered: the lock is held, ask again
				break
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("lock: %w", ctx.Err())
			}
			// Not answering: fall back to the next live replica.
			errs = append(errs, err)
		}
		if errs != nil || len(l.lockNodes(key)) == 0 {
			return nil, fmt.Errorf("lock: %w: no lock node of partition %d answered: %w", ErrQuorum, HashPartitionKey(key).Partition(), errors.Join(errs...))
		}
	}
}

// lockNodes returns the live replicas of key's partition, in layout order.
func (l *ClusterLocker) lockNodes(key []byte) []cluster.NodeID {
	var out []cluster.NodeID
	for _, id := range l.cfg.Replicas(HashPartitionKey(key).Partition()) {
		if id == l.cfg.Self || l.cfg.Alive(id) {
			out = append(out, id)
		}
	}
	return out
}

// try asks node n for the lease on key.
func (l *ClusterLocker) try(ctx context.Context, n cluster.NodeID, key []byte, token string, wait bool) (bool, error) {
	if n == l.cfg.Self && l.cfg.Server != nil {
		return l.cfg.Server.acquire(ctx, n, key, token, l.cfg.Lease, wait)
	}
	if l.cfg.Caller == nil {
		return false, fmt.Errorf("lock node %s: no Caller", n.Short())
	}
	res, err := call[lockReq, lockRes](ctx, l.cfg.Caller, n, MethodLock, lockReq{
		Key: key, Token: []byte(token), LeaseMS: l.cfg.Lease.Milliseconds(), NoWait: !wait,
	})
	return res.Granted, err
}

// held renews the lease on node n until the returned unlock is called.
func (l *ClusterLocker) held(n cluster.NodeID, key []byte, token string) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(l.cfg.Lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), l.cfg.Lease/3)
			ok, err := l.try(ctx, n, key, token, false)
			cancel()
			if err != nil || !ok {
				l.cfg.Log.Warn("lock lease not renewed; it may expire while held", "lock_node", n.Short(), "granted", ok, "err", err)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			if n == l.cfg.Self && l.cfg.Server != nil {
				l.cfg.Server.release(key, token)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := call[unlockReq, empty](ctx, l.cfg.Caller, n, MethodUnlock, unlockReq{Key: key, Token: []byte(token)}); err != nil {
				l.cfg.Log.Warn("unlock failed; the lease will expire", "lock_node", n.Short(), "err", err)
			}
		})
	}
}
