package blockrepl

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// errNoLocalStore is a replica write or read aimed at this node when it
// has no block store (a gateway listed as a replica by mistake).
var errNoLocalStore = errors.New("this node is a replica but has no block store")

// errDown is the failure of a replica that Alive reports down.
var errDown = errors.New("node is down")

// Write stores data on the block's replicas and returns its hash once
// WriteQuorum of them have it on stable storage. The other replicas finish
// in the background, each within WriteTimeout (see Wait). Fewer replicas
// than the quorum, or too many failures, return an error wrapping
// ErrQuorum; the error joins the failures of the replicas that answered.
// If ctx ends before the quorum is reached, the writes are abandoned and
// ctx's error is returned.
//
// The caller may reuse data as soon as Write returns: the writes that go
// on in the background no longer read it (a remote one has its own copy
// in its encoded request; the local one, which writes from data, is
// waited for).
func (s *Store) Write(ctx context.Context, data []byte) (storage.Hash, error) {
	h := storage.HashOf(data)
	return h, s.WriteHashed(ctx, h, data)
}

// WriteHashed is Write for a caller that already has h = storage.HashOf(data)
// (the signed SHA-256 of a body that is one block). A wrong h stores data
// under another block's address on this node; a remote replica checks it
// and refuses the block.
func (s *Store) WriteHashed(ctx context.Context, h storage.Hash, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sets := s.writeSets(h)
	if len(sets) == 0 {
		s.m.quorumFailures.Inc()
		return fmt.Errorf("write block %s: %w: no replicas", h, ErrQuorum)
	}
	for _, set := range sets {
		if set.Quorum < 1 {
			s.m.quorumFailures.Inc()
			return fmt.Errorf("write block %s: %w: write quorum %d", h, ErrQuorum, set.Quorum)
		}
		if len(set.Nodes) < set.Quorum {
			s.m.quorumFailures.Inc()
			return fmt.Errorf("write block %s: %w: %d replicas, quorum %d", h, ErrQuorum, len(set.Nodes), set.Quorum)
		}
	}
	// Each node once; in[n] lists the sets it counts for.
	var nodes []cluster.NodeID
	in := map[cluster.NodeID][]int{}
	for si, set := range sets {
		for _, n := range set.Nodes {
			if _, ok := in[n]; !ok {
				nodes = append(nodes, n)
			}
			in[n] = append(in[n], si)
		}
	}

	// The replica writes outlive this call once the quorum answered, so
	// they run under their own deadline; ctx ending before the quorum
	// cancels them.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.WriteTimeout)
	stopCancelOnCtx := context.AfterFunc(ctx, cancel)

	type result struct {
		node cluster.NodeID
		err  error
	}
	results := make(chan result, len(nodes)) // buffered: late writers never block
	var writes sync.WaitGroup
	// reading counts the writes that may still read data: every return
	// below waits for it, so that data is the caller's again.
	var reading sync.WaitGroup
	defer reading.Wait()
	for _, n := range nodes {
		if !s.alive(n) {
			results <- result{n, errDown}
			continue
		}
		writes.Add(1)
		reading.Add(1)
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			defer writes.Done()
			var once sync.Once
			consumed := func() { once.Do(reading.Done) }
			defer consumed()
			err := s.writeOne(wctx, n, h, data, consumed)
			if err != nil && !errors.Is(err, context.Canceled) {
				s.log.Warn("block replica write failed", "hash", h, "node", n.Short(), "err", err)
			}
			results <- result{n, err}
		}()
	}
	// Once every write finished, release the deadline's timer.
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		writes.Wait()
		stopCancelOnCtx()
		cancel()
	}()

	ok := make([]int, len(sets))
	failed := make([]int, len(sets))
	short := len(sets) // sets below their quorum
	stored := 0
	var errs []error
	for range nodes {
		var r result
		select {
		case r = <-results:
		case <-ctx.Done():
			return fmt.Errorf("write block %s: not stored by a quorum of replicas: %w", h, ctx.Err())
		}
		if r.err == nil {
			stored++
			for _, si := range in[r.node] {
				ok[si]++
				if ok[si] == sets[si].Quorum {
					short--
				}
			}
			if short == 0 {
				stopCancelOnCtx() // the rest may finish after ctx ends
				return nil
			}
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %w", r.node.Short(), r.err))
		lost := false
		for _, si := range in[r.node] {
			failed[si]++
			lost = lost || len(sets[si].Nodes)-failed[si] < sets[si].Quorum
		}
		if lost {
			break
		}
	}
	s.m.quorumFailures.Inc()
	return fmt.Errorf("write block %s: %w (%d of %d replicas stored it): %w", h, ErrQuorum, stored, len(nodes), errors.Join(errs...))
}

// writeSets returns the replica sets a write of h must reach.
func (s *Store) writeSets(h storage.Hash) []WriteSet {
	if s.cfg.WriteSets != nil {
		return s.cfg.WriteSets(h)
	}
	return []WriteSet{{Nodes: s.replicas(h), Quorum: s.cfg.WriteQuorum()}}
}

// writeOne stores the block on one replica: the local store for this node,
// an RPC for the others. It calls consumed once it no longer reads data.
func (s *Store) writeOne(ctx context.Context, n cluster.NodeID, h storage.Hash, data []byte, consumed func()) error {
	if n != s.cfg.Node {
		req := encodeRequest(h, data)
		consumed()
		return s.putRemoteRequest(ctx, n, h, req)
	}
	if s.cfg.Local == nil {
		return errNoLocalStore
	}
	if s.beforeLocalWrite != nil {
		s.beforeLocalWrite()
	}
	if err := s.cfg.Local.WriteHashed(ctx, h, data); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}
