package table

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Merkle trees: one per table and partition, kept beside the table in the
// transaction of every change (Local.put), so that two replicas compare a
// partition by walking down only the subtrees whose digests differ.
//
// Each entry is an item: its hash is sha256(storageKey ‖ sha256(value)),
// and it sits in the tree under khash = sha256(storageKey). A tree node at
// depth d (0..merkleDepth) covers the items whose khash starts with the
// node's d-byte prefix and holds their aggregate: the sum modulo 2^256 of
// their item hashes and their count. A sum, unlike a hash of the
// children, changes by the item's difference alone: an update writes one
// node per stored level and reads no sibling. A leaf index maps
// (partition, khash) to the item hash and storage key, so the items under
// any prefix can be listed in khash order.
//
// Only the nodes down to merkleStoredDepth are stored; the deepest level
// is computed when asked from the leaf index (a few items per node), which
// saves a random page write on every change.
//
// Layout of a table's tree bucket (nested in merkleBucket, named after the
// table):
//
//	"f"                         → format version, state, rebuild cursor
//	"n" ‖ p ‖ d ‖ khash[:d]     → aggregate: sum (32 bytes) ‖ count (uint64), d ≤ merkleStoredDepth
//	"l" ‖ p ‖ khash             → item hash (32 bytes) ‖ storage key
//
// Caveat: an additive digest is not collision resistant against someone
// who chooses many entries on purpose; a difference it hides is still
// repaired by reads and by the next write of the entry.
var merkleBucket = []byte("_merkle")

const (
	// merkleDepth is the depth of the deepest tree nodes: 256² leaves per
	// partition, a few items each for tables of up to tens of millions of
	// entries. Deeper trees cost a write per level on every change.
	merkleDepth = 2
	// merkleStoredDepth is the deepest level whose nodes are stored.
	merkleStoredDepth = merkleDepth - 1
	// merkleFormat is the format of the tree bucket. A tree of another
	// format is rebuilt from the table's entries when the table is opened.
	merkleFormat = 2
	// merkleRebuildBatch is how many entries one rebuild transaction adds.
	merkleRebuildBatch = 5000
)

// Tree states (second byte of the "f" key).
const (
	merkleBuilding = 0 // entries up to the cursor are in the tree
	merkleReady    = 1
)

var (
	merkleMetaKey    = []byte("f")
	merkleNodePrefix = byte('n')
	merkleLeafPrefix = byte('l')
)

// ErrTreeNotReady means a table's Merkle tree is being built.
var ErrTreeNotReady = errors.New("merkle tree not ready")

// MerkleHash is the digest of a set of entries: the sum modulo 2^256 of
// their item hashes (zero for none).
type MerkleHash [32]byte

// merkleAgg is the aggregate of a tree node.
type merkleAgg struct {
	Hash  MerkleHash
	Count uint64
}

func (a merkleAgg) encode() []byte {
	out := make([]byte, 40)
	copy(out, a.Hash[:])
	binary.BigEndian.PutUint64(out[32:], a.Count)
	return out
}

func decodeAgg(v []byte) (merkleAgg, error) {
	var a merkleAgg
	if len(v) != 40 {
		return a, fmt.Errorf("merkle node of %d bytes, want 40", len(v))
	}
	copy(a.Hash[:], v)
	a.Count = binary.BigEndian.Uint64(v[32:])
	return a, nil
}

// add sets h to h+o modulo 2^256 (big-endian).
func (h *MerkleHash) add(o MerkleHash) {
	var carry uint16
	for i := 31; i >= 0; i-- {
		s := uint16(h[i]) + uint16(o[i]) + carry
		h[i] = byte(s)
		carry = s >> 8
	}
}

// sub sets h to h-o modulo 2^256.
func (h *MerkleHash) sub(o MerkleHash) {
	var borrow int16
	for i := 31; i >= 0; i-- {
		d := int16(h[i]) - int16(o[i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		h[i] = byte(d)
	}
}

// itemHash is the hash of the entry stored at key with value v.
func itemHash(key, v []byte) MerkleHash {
	vh := sha256.Sum256(v)
	h := sha256.New()
	h.Write(key)
	h.Write(vh[:])
	var out MerkleHash
	h.Sum(out[:0])
	return out
}

func merkleNodeKey(p uint8, prefix []byte) []byte {
	k := make([]byte, 0, 3+len(prefix))
	k = append(k, merkleNodePrefix, p, byte(len(prefix)))
	return append(k, prefix...)
}

func merkleLeafKey(p uint8, khash []byte) []byte {
	k := make([]byte, 0, 2+len(khash))
	k = append(k, merkleLeafPrefix, p)
	return append(k, khash...)
}

// merkleMeta is the decoded "f" key of a tree.
type merkleMeta struct {
	format, state byte
	cursor        []byte // last storage key added by the rebuild
}

func readMerkleMeta(tb *bolt.Bucket) (merkleMeta, bool) {
	v := tb.Get(merkleMetaKey)
	if len(v) < 2 {
		return merkleMeta{}, false
	}
	return merkleMeta{format: v[0], state: v[1], cursor: v[2:]}, true
}

func writeMerkleMeta(tb *bolt.Bucket, m merkleMeta) error {
	v := append([]byte{m.format, m.state}, m.cursor...)
	return tb.Put(merkleMetaKey, v)
}

// treeBucket returns the tree bucket of table, nil if there is none.
func treeBucket(tx *bolt.Tx, table string) *bolt.Bucket {
	mb := tx.Bucket(merkleBucket)
	if mb == nil {
		return nil
	}
	return mb.Bucket([]byte(table))
}

// merkleUpdate records in the tree of table that key now holds enc (nil:
// deleted). The leaf index, not the caller, says what the tree held for
// key before, so the tree stays consistent with itself whatever old value
// a caller believed. A table without a tree, or whose rebuild has not yet
// reached key, is left alone (the rebuild adds the key later).
func merkleUpdate(tx *bolt.Tx, table string, key, enc []byte) error {
	tb := treeBucket(tx, table)
	if tb == nil || len(key) == 0 {
		return nil
	}
	meta, ok := readMerkleMeta(tb)
	if !ok || meta.format != merkleFormat {
		return nil
	}
	if meta.state != merkleReady && (len(meta.cursor) == 0 || bytes.Compare(key, meta.cursor) > 0) {
		return nil
	}
	return merkleSet(tb, key, enc)
}

// merkleSet replaces the item of key in the tree bucket tb.
func merkleSet(tb *bolt.Bucket, key, enc []byte) error {
	p := key[0]
	kh := sha256.Sum256(key)
	lk := merkleLeafKey(p, kh[:])
	var delta merkleAgg // added
	var minus MerkleHash
	var removed bool
	if v := tb.Get(lk); v != nil {
		if len(v) < 32 {
			return fmt.Errorf("merkle leaf of %d bytes", len(v))
		}
		copy(minus[:], v[:32])
		removed = true
	}
	if enc != nil {
		delta.Hash = itemHash(key, enc)
		if removed && delta.Hash == minus {
			return nil // same item
		}
		lv := make([]byte, 0, 32+len(key))
		lv = append(lv, delta.Hash[:]...)
		lv = append(lv, key...)
		if err := tb.Put(lk, lv); err != nil {
			return fmt.Errorf("merkle leaf: %w", err)
		}
	} else {
		if !removed {
			return nil
		}
		if err := tb.Delete(lk); err != nil {
			return fmt.Errorf("merkle leaf: %w", err)
		}
	}
	for d := 0; d <= merkleStoredDepth; d++ {
		nk := merkleNodeKey(p, kh[:d])
		var a merkleAgg
		if v := tb.Get(nk); v != nil {
			var err error
			if a, err = decodeAgg(v); err != nil {
				return err
			}
		}
		if enc != nil {
			a.Hash.add(delta.Hash)
			a.Count++
		}
		if removed {
			a.Hash.sub(minus)
			a.Count--
		}
		var err error
		if a.Count == 0 {
			err = tb.Delete(nk)
		} else {
			err = tb.Put(nk, a.encode())
		}
		if err != nil {
			return fmt.Errorf("merkle node: %w", err)
		}
	}
	return nil
}

// readyTree returns the tree bucket of table if its tree is complete.
func readyTree(tx *bolt.Tx, table string) (*bolt.Bucket, error) {
	tb := treeBucket(tx, table)
	if tb == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownTable, table)
	}
	if m, ok := readMerkleMeta(tb); !ok || m.format != merkleFormat || m.state != merkleReady {
		return nil, fmt.Errorf("table %q: %w", table, ErrTreeNotReady)
	}
	return tb, nil
}

// nodeAgg returns the aggregate of the node at prefix (zero if empty).
func nodeAgg(tb *bolt.Bucket, p uint8, prefix []byte) (merkleAgg, error) {
	v := tb.Get(merkleNodeKey(p, prefix))
	if v == nil {
		return merkleAgg{}, nil
	}
	return decodeAgg(v)
}

// MerkleRoot returns the digest and entry count of partition p of table.
// Two replicas hold the same entries of p when both are equal.
func (l *Local) MerkleRoot(table string, p uint8) (MerkleHash, uint64, error) {
	var a merkleAgg
	err := l.db.View(func(tx *bolt.Tx) error {
		tb, err := readyTree(tx, table)
		if err != nil {
			return err
		}
		a, err = nodeAgg(tb, p, nil)
		return err
	})
	return a.Hash, a.Count, err
}

// MerkleRoots returns the digest of every partition of table (index:
// partition).
func (l *Local) MerkleRoots(table string) ([256]MerkleHash, error) {
	var out [256]MerkleHash
	err := l.db.View(func(tx *bolt.Tx) error {
		tb, err := readyTree(tx, table)
		if err != nil {
			return err
		}
		for p := range 256 {
			a, err := nodeAgg(tb, uint8(p), nil)
			if err != nil {
				return err
			}
			out[p] = a.Hash
		}
		return nil
	})
	return out, err
}
