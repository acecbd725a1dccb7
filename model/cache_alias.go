package model

import (
	"context"
	"sync"
)

// aliasHints remembers which bucket id each global name resolved to last.
// A hint is never answered from: ResolveBucketFresh reads the bucket it
// names while it reads the alias (both at quorum), and uses that bucket
// only if the alias still points to it. A name resolved again after its
// cache entry expired thus costs one round of quorum reads, not two in a
// row (alias, then bucket). Hints outlive cache clears, which is their
// point; a full map starts over.
type aliasHints struct {
	mu sync.Mutex
	m  map[string]string
}

func (h *aliasHints) get(name string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.m[name]
	return id, ok
}

func (h *aliasHints) put(name, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) >= metaCacheMax {
		h.m = map[string]string{}
	}
	h.m[name] = id
}

func (h *aliasHints) drop(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, name)
}

// bucketRead is the outcome of a GetBucket started ahead.
type bucketRead struct {
	b   Bucket
	err error
}

// getBucketAhead starts GetBucket(id); the result can be ignored (the
// channel is buffered).
func (m *Model) getBucketAhead(ctx context.Context, id string) <-chan bucketRead {
	ch := make(chan bucketRead, 1)
	go func() {
		b, err := m.GetBucket(ctx, id)
		ch <- bucketRead{b, err}
	}()
	return ch
}
