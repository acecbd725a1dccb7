package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/cluster"
)

const (
	// offloadBatch is how many entries one offload transaction deletes.
	offloadBatch = 1000
	// offloadAttempts bounds how often Offload hands a partition over
	// again because it changed while being deleted.
	offloadAttempts = 5
)

// Offload hands partition p, which Self no longer holds, over to the
// nodes of to and then deletes it locally: it pushes to every node of to
// whatever it lacks or holds differently, and only once all of them have
// taken it deletes the local entries of p, in transactions of
// offloadBatch entries through Local.put (so the tree follows). If a node
// of to is down or fails, it deletes nothing.
//
// A batch is deleted only while the partition's tree is what was handed
// over; a write that arrived meanwhile is handed over too before the
// deletion goes on. Updated hooks are not called for deleted entries:
// what they keep locally (such as block reference counts) is the owner's
// to drop or rebuild.
func (s *Syncer) Offload(ctx context.Context, p uint8, to []cluster.NodeID) error {
	var targets []cluster.NodeID
	for _, id := range to {
		if id != s.cfg.Self && !slices.Contains(targets, id) {
			targets = append(targets, id)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("offload partition %d: no other node to hand it to", p)
	}
	for _, id := range targets {
		if !s.cfg.Alive(id) {
			return fmt.Errorf("offload partition %d: node %s: %w; nothing deleted", p, id.Short(), ErrNodeDown)
		}
	}
	s.partMu.Lock()
	defer s.partMu.Unlock()
	tables := s.cfg.Local.Tables()
	deleted := 0
	for attempt := 0; attempt < offloadAttempts; attempt++ {
		handed, _, err := s.cfg.Local.merkleRoots(tables, p)
		if err != nil {
			return fmt.Errorf("offload partition %d: %w", p, err)
		}
		for _, id := range targets {
			outs, err := s.syncWith(ctx, p, id, tables, false)
			for i, o := range outs {
				s.countSent(tables[i], o.Sent)
			}
			if err != nil {
				s.m.errors.Inc()
				return fmt.Errorf("offload partition %d: node %s: %w (%d entries deleted before)", p, id.Short(), err, deleted)
			}
		}
		n, changed, err := s.deletePartition(ctx, p, tables, handed)
		deleted += n
		if err != nil {
			return fmt.Errorf("offload partition %d: %w (%d entries deleted)", p, err, deleted)
		}
		if !changed {
			s.log.Info("partition handed over and deleted", "partition", p, "entries", deleted, "to", len(targets))
			return nil
		}
	}
	return fmt.Errorf("offload partition %d: it kept changing while being deleted (%d entries deleted)", p, deleted)
}

// errTreeMismatch means a tree counts entries its table does not have.
var errTreeMismatch = errors.New("merkle tree and table disagree")

// deletePartition deletes the entries of partition p of each table while
// the table's tree of p is as expected (what was handed over). It returns
// how many it deleted, and changed true if it stopped because a table
// changed.
func (s *Syncer) deletePartition(ctx context.Context, p uint8, tables []string, expected []merkleAgg) (int, bool, error) {
	l := s.cfg.Local
	deleted := 0
	for i, t := range tables {
		exp := expected[i]
		for done := false; !done; {
			if err := ctx.Err(); err != nil {
				return deleted, false, err
			}
			changed := false
			n := 0
			err := l.db.Update(func(tx *bolt.Tx) error {
				tb, err := readyTree(tx, t)
				if err != nil {
					return err
				}
				cur, err := nodeAgg(tb, p, nil)
				if err != nil {
					return err
				}
				if cur != exp {
					changed = true
					return nil
				}
				if cur.Count == 0 {
					done = true // nothing (left) to delete, and nothing came
					return nil
				}
				b := tx.Bucket([]byte(t))
				var keys [][]byte
				c := b.Cursor()
				for k, v := c.Seek([]byte{p}); k != nil && k[0] == p && len(keys) < offloadBatch; k, v = c.Next() {
					if v != nil {
						keys = append(keys, bytes.Clone(k))
					}
				}
				if len(keys) == 0 {
					return fmt.Errorf("table %s partition %d: %w (%d entries in the tree)", t, p, errTreeMismatch, cur.Count)
				}
				for _, k := range keys {
					if err := l.put(tx, t, b, k, b.Get(k), nil); err != nil {
						return err
					}
				}
				n = len(keys)
				exp, err = nodeAgg(tb, p, nil)
				return err
			})
			if err != nil {
				return deleted, false, fmt.Errorf("delete entries of %s: %w", t, err)
			}
			if changed {
				return deleted, true, nil
			}
			deleted += n
		}
	}
	return deleted, false, nil
}
