package blockrepl

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// ReadPooled returns the block, verified against its hash, from the
// nearest replica holding a good copy (see readOrder). When this node holds
// the block it is read from the local store, through its pooled buffers
// and cache; copies from other nodes come in their own buffer, and release
// is then a no-op. The caller calls release once done with data.
//
// A node that is not a replica but still holds a file for the block (a
// partition that moved away) reads it locally first: the copy is checked
// like any other.
//
// When no replica returns a good copy, the error wraps
// storage.ErrBlockNotFound; it also wraps storage.ErrCorrupt if a corrupt
// copy was met, and ErrQuorum if some replica could not be asked (down,
// unreachable or failing), since the block may be there. Callers that
// answer 503 for ErrQuorum should test it first.
func (s *Store) ReadPooled(ctx context.Context, h storage.Hash) (data []byte, release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	nodes := s.replicas(h)
	if s.cfg.Local != nil && !slices.Contains(nodes, s.cfg.Node) && s.cfg.Local.Has(h) {
		nodes = append(nodes, s.cfg.Node)
	}
	var (
		errs                           []error
		notFound, corrupt, unavailable int
	)
	for i, n := range s.readOrder(nodes) {
		if i > 0 {
			s.m.fallbacks.Inc()
		}
		if !s.alive(n) {
			unavailable++
			errs = append(errs, fmt.Errorf("%s: %w", n.Short(), errDown))
			continue
		}
		data, release, err := s.readOne(ctx, n, h)
		if err == nil {
			return data, release, nil
		}
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("read block %s: %w", h, ctx.Err())
		}
		errs = append(errs, err)
		switch {
		case errors.Is(err, storage.ErrBlockNotFound):
			notFound++
			if n == s.cfg.Node {
				s.localMiss(h)
			}
		case errors.Is(err, storage.ErrCorrupt):
			corrupt++
			s.badCopy(n, h, err)
		default:
			unavailable++
			s.log.Warn("block read from replica failed", "hash", h, "node", n.Short(), "err", err)
		}
	}
	// The counts say why no copy was served; the wrapped sentinels let
	// callers decide (the format needs one verb per sentinel).
	msg := fmt.Sprintf("read block %s: no good copy on %d nodes (%d without it, %d corrupt, %d unavailable)", h, len(nodes), notFound, corrupt, unavailable)
	wrapped := []error{storage.ErrBlockNotFound}
	if corrupt > 0 {
		wrapped = append(wrapped, storage.ErrCorrupt)
	}
	if unavailable > 0 || len(nodes) == 0 {
		wrapped = append(wrapped, ErrQuorum)
	}
	return nil, nil, &readError{msg: msg, sentinels: wrapped, detail: errors.Join(errs...)}
}

// readOne reads the block from one node.
func (s *Store) readOne(ctx context.Context, n cluster.NodeID, h storage.Hash) ([]byte, func(), error) {
	if n == s.cfg.Node {
		if s.cfg.Local == nil {
			return nil, nil, errNoLocalStore
		}
		data, release, err := s.cfg.Local.ReadPooled(ctx, h)
		if err != nil {
			return nil, nil, fmt.Errorf("local: %w", err)
		}
		return data, release, nil
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	defer cancel()
	data, err := s.getRemote(rctx, n, h)
	if err != nil {
		return nil, nil, err
	}
	return data, func() {}, nil
}

// badCopy reports a corrupt copy of h on node n.
func (s *Store) badCopy(n cluster.NodeID, h storage.Hash, err error) {
	if n != s.cfg.Node {
		s.m.corruptRemote.Inc()
		s.log.Warn("corrupt block copy on replica, trying the next one", "hash", h, "node", n.Short(), "err", err)
	} else {
		s.log.Warn("corrupt local block copy, trying another replica", "hash", h, "err", err)
	}
	if s.cfg.OnBadCopy != nil {
		s.cfg.OnBadCopy(n, h)
	}
}

// readError is a failed read: a message, the sentinels it matches and the
// per-replica failures (for the message only).
type readError struct {
	msg       string
	sentinels []error
	detail    error
}

func (e *readError) Error() string {
	if e.detail == nil {
		return e.msg
	}
	return e.msg + ": " + e.detail.Error()
}

// Unwrap returns the sentinels only: the per-replica failures are in the
// message, but a replica's timeout must not make the read look like the
// caller's own context.DeadlineExceeded.
func (e *readError) Unwrap() []error { return e.sentinels }
