package table

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// merkleChild is a non-empty child of a tree node: the next khash byte
// and the child's aggregate.
type merkleChild struct {
	Index byte
	Agg   merkleAgg
}

// merkleItem is one entry as the tree sees it.
type merkleItem struct {
	KHash [32]byte // sha256(Key)
	Hash  MerkleHash
	Key   []byte
}

// merkleRoots returns the root aggregate of partition p of each table; a
// table this node does not have gives ok false.
func (l *Local) merkleRoots(tables []string, p uint8) ([]merkleAgg, []bool, error) {
	aggs := make([]merkleAgg, len(tables))
	ok := make([]bool, len(tables))
	err := l.db.View(func(tx *bolt.Tx) error {
		for i, t := range tables {
			if _, err := l.table(t); err != nil {
				continue
			}
			tb, err := readyTree(tx, t)
			if err != nil {
				return err
			}
			if aggs[i], err = nodeAgg(tb, p, nil); err != nil {
				return err
			}
			ok[i] = true
		}
		return nil
	})
	return aggs, ok, err
}

// merkleChildren returns the non-empty children of the node at prefix
// (len(prefix) < merkleDepth), for each prefix.
func (l *Local) merkleChildren(table string, p uint8, prefixes [][]byte) ([][]merkleChild, error) {
	out := make([][]merkleChild, len(prefixes))
	err := l.db.View(func(tx *bolt.Tx) error {
		tb, err := readyTree(tx, table)
		if err != nil {
			return err
		}
		for i, prefix := range prefixes {
			if len(prefix) >= merkleDepth {
				return fmt.Errorf("merkle node of depth %d has no children", len(prefix))
			}
			if len(prefix) >= merkleStoredDepth {
				cs, err := leafChildren(tb, p, prefix)
				if err != nil {
					return err
				}
				out[i] = cs
				continue
			}
			base := append([]byte{merkleNodePrefix, p, byte(len(prefix) + 1)}, prefix...)
			c := tb.Cursor()
			for k, v := c.Seek(base); k != nil && bytes.HasPrefix(k, base); k, v = c.Next() {
				if len(k) != len(base)+1 {
					continue
				}
				a, err := decodeAgg(v)
				if err != nil {
					return err
				}
				out[i] = append(out[i], merkleChild{Index: k[len(base)], Agg: a})
			}
		}
		return nil
	})
	return out, err
}

// leafChildren computes the children of the node at prefix, below the
// stored levels, from the leaf index.
func leafChildren(tb *bolt.Bucket, p uint8, prefix []byte) ([]merkleChild, error) {
	var out []merkleChild
	base := merkleLeafKey(p, prefix)
	c := tb.Cursor()
	for k, v := c.Seek(base); k != nil && bytes.HasPrefix(k, base); k, v = c.Next() {
		if len(k) != 2+sha256.Size || len(v) < 32 {
			return nil, fmt.Errorf("merkle leaf of %d+%d bytes", len(k), len(v))
		}
		b := k[len(base)]
		if len(out) == 0 || out[len(out)-1].Index != b {
			out = append(out, merkleChild{Index: b})
		}
		var h MerkleHash
		copy(h[:], v[:32])
		last := &out[len(out)-1]
		last.Agg.Hash.add(h)
		last.Agg.Count++
	}
	return out, nil
}

// merkleItems returns up to limit items of partition p whose khash starts
// with prefix and comes after after (nil: from the start), in khash
// order, and whether there are more.
func (l *Local) merkleItems(table string, p uint8, prefix, after []byte, limit int) ([]merkleItem, bool, error) {
	var out []merkleItem
	more := false
	err := l.db.View(func(tx *bolt.Tx) error {
		tb, err := readyTree(tx, table)
		if err != nil {
			return err
		}
		base := merkleLeafKey(p, prefix)
		c := tb.Cursor()
		var k, v []byte
		if after == nil {
			k, v = c.Seek(base)
		} else {
			start := merkleLeafKey(p, after)
			if k, v = c.Seek(start); k != nil && bytes.Equal(k, start) {
				k, v = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, base); k, v = c.Next() {
			if len(out) >= limit {
				more = true
				return nil
			}
			if len(k) != 2+sha256.Size || len(v) < 32 {
				return fmt.Errorf("merkle leaf of %d+%d bytes", len(k), len(v))
			}
			var it merkleItem
			copy(it.KHash[:], k[2:])
			copy(it.Hash[:], v[:32])
			it.Key = bytes.Clone(v[32:])
			out = append(out, it)
		}
		return nil
	})
	return out, more, err
}

// rawEntries returns the stored values of keys in table (nil where there
// is none), stopping once maxBytes are gathered: the answer may be
// shorter than keys, never empty when the first entry exists.
func (l *Local) rawEntries(table string, keys [][]byte, maxBytes int) ([][]byte, error) {
	out := make([][]byte, 0, len(keys))
	err := l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(table))
		if b == nil {
			return fmt.Errorf("%w %q", ErrUnknownTable, table)
		}
		size := 0
		for _, k := range keys {
			if size >= maxBytes && len(out) > 0 {
				return nil
			}
			v := b.Get(k)
			size += len(v)
			out = append(out, bytes.Clone(v))
		}
		return nil
	})
	return out, err
}
