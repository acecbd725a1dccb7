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
func (s *Store) Write(ctx context.Context, data []byte) (storage.Hash, error) {
	h := storage.HashOf(data)
	if err := ctx.Err(); err != nil {
		return h, err
	}
	nodes := s.replicas(h)
	quorum := s.cfg.WriteQuorum()
	if quorum < 1 {
		s.m.quorumFailures.Inc()
		return h, fmt.Errorf("write block %s: %w: write quorum %d", h, ErrQuorum, quorum)
	}
	if len(nodes) < quorum {
		s.m.quorumFailures.Inc()
		return h, fmt.Errorf("write block %s: %w: %d replicas, quorum %d", h, ErrQuorum, len(nodes), quorum)
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
	for _, n := range nodes {
		if !s.alive(n) {
			results <- result{n, errDown}
			continue
		}
		writes.Add(1)
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			defer writes.Done()
			err := s.writeOne(wctx, n, h, data)
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

	ok := 0
	var errs []error
	for range nodes {
		var r result
		select {
		case r = <-results:
		case <-ctx.Done():
			return h, fmt.Errorf("write block %s: %d of %d replicas stored it: %w", h, ok, quorum, ctx.Err())
		}
		if r.err == nil {
			ok++
			if ok == quorum {
				stopCancelOnCtx() // the rest may finish after ctx ends
				return h, nil
			}
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %w", r.node.Short(), r.err))
		if len(nodes)-len(errs) < quorum {
			break
		}
	}
	s.m.quorumFailures.Inc()
	return h, fmt.Errorf("write block %s: %w (%d of %d needed): %w", h, ErrQuorum, ok, quorum, errors.Join(errs...))
}

// writeOne stores the block on one replica: the local store for this node,
// an RPC for the others.
func (s *Store) writeOne(ctx context.Context, n cluster.NodeID, h storage.Hash, data []byte) error {
	if n != s.cfg.Node {
		return s.putRemote(ctx, n, h, data)
	}
	if s.cfg.Local == nil {
		return errNoLocalStore
	}
	if _, err := s.cfg.Local.Write(ctx, data); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}
