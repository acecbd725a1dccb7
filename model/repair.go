package model

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// CountBlockRefs returns how many live references to block h this node's
// replica of the blockrefs table holds (tombstones excluded). `repair
// blocks` sets the local reference count to it, so that a count that
// drifted is fixed rather than trusted.
func (m *Model) CountBlockRefs(ctx context.Context, h storage.Hash) (int, error) {
	n := 0
	q := table.RangeQuery{Limit: 1000}
	for {
		page, err := m.local.Range(ctx, m.blockrefs.Name(), h[:], q)
		if err != nil {
			return n, fmt.Errorf("count references of block %s: %w", h, err)
		}
		n += len(page)
		if len(page) < q.Limit {
			return n, nil
		}
		last, err := decodeEntry[BlockRef](page[len(page)-1])
		if err != nil {
			return n, fmt.Errorf("count references of block %s: %w", h, err)
		}
		q.Start = append([]byte(last.User), 0) // just after the last one
	}
}

// SetBlockCollector makes Run collect blocks with fn (every minute)
// instead of deleting unreferenced blocks on the local count alone: a
// cluster's collector asks the other holders first. Call it before Run.
func (m *Model) SetBlockCollector(fn func(ctx context.Context) error) { m.blockGC = fn }
