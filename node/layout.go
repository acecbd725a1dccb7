package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/internal/atomicfile"
)

// layoutFile is where a node keeps the last cluster layout it knows, in
// metadata_dir.
const layoutFile = "cluster_layout"

// layoutState is the node's copy of the cluster layout. Readers get an
// immutable snapshot (Get); every change makes a new one, persists it
// (temp file, fsync, rename) before it is visible, and calls onChange.
type layoutState struct {
	path     string
	onChange func(*cluster.Layout) // called outside the lock, after each change

	mu  sync.Mutex // serialises changes
	cur *cluster.Layout
	// snap is read without the lock by the hot paths (placement).
	snap atomic.Pointer[cluster.Layout]
	// meta is layoutMeta of one snapshot, computed once per snapshot:
	// membership asks for it whenever it lists the members, which the
	// request path does (encoding the layout for its digest each time
	// was a quarter of a cluster node's CPU under small GETs).
	meta atomic.Pointer[snapshotMeta]
}

// snapshotMeta is the advertised layout metadata of one snapshot.
type snapshotMeta struct {
	of   *cluster.Layout
	meta []byte
}

// openLayout reads dir/cluster_layout, or starts an empty layout with
// replication factor rf when there is none.
func openLayout(dir string, rf int) (*layoutState, error) {
	s := &layoutState{path: filepath.Join(dir, layoutFile)}
	b, err := os.ReadFile(s.path)
	switch {
	case err == nil:
		l := new(cluster.Layout)
		if err := l.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("read cluster layout %s: %w (restore it from another node's copy, or remove it to start with an empty layout)", s.path, err)
		}
		s.cur = l
	case errors.Is(err, os.ErrNotExist):
		l, err := cluster.NewLayout(rf)
		if err != nil {
			return nil, fmt.Errorf("new cluster layout: %w", err)
		}
		s.cur = l
	default:
		return nil, fmt.Errorf("read cluster layout: %w", err)
	}
	s.snap.Store(s.cur)
	return s, nil
}

// Get returns the current layout. The caller must not change it.
func (s *layoutState) Get() *cluster.Layout { return s.snap.Load() }

// Meta returns layoutMeta of the current layout (version and digest, what
// the node advertises to its peers). The caller must not change it.
func (s *layoutState) Meta() []byte {
	l := s.Get()
	if m := s.meta.Load(); m != nil && m.of == l {
		return m.meta
	}
	m := &snapshotMeta{of: l, meta: layoutMeta(l)}
	s.meta.Store(m)
	return m.meta
}

// Update applies fn to a copy of the layout and, if fn succeeds and the
// layout changed, persists and publishes the copy.
func (s *layoutState) Update(fn func(l *cluster.Layout) error) (*cluster.Layout, error) {
	s.mu.Lock()
	next := s.cur.Clone()
	if err := fn(next); err != nil {
		s.mu.Unlock()
		return s.cur, err
	}
	changed, err := s.publishLocked(next)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if changed && s.onChange != nil {
		s.onChange(next)
	}
	return next, nil
}

// Merge merges a layout received from another node. It reports whether
// the local copy changed.
func (s *layoutState) Merge(other *cluster.Layout) (bool, error) {
	s.mu.Lock()
	next := s.cur.Merge(other)
	changed, err := s.publishLocked(next)
	s.mu.Unlock()
	if err != nil {
		return false, err
	}
	if changed && s.onChange != nil {
		s.onChange(next)
	}
	return changed, nil
}

func (s *layoutState) publishLocked(next *cluster.Layout) (bool, error) {
	if next.Equal(s.cur) {
		return false, nil
	}
	b, err := next.MarshalBinary()
	if err != nil {
		return false, fmt.Errorf("encode cluster layout: %w", err)
	}
	if err := atomicfile.Write(s.path, b, 0o600); err != nil {
		return false, fmt.Errorf("save cluster layout: %w", err)
	}
	s.cur = next
	s.snap.Store(next)
	return true, nil
}
