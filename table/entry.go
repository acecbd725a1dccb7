package table

import (
	"crypto/sha256"
	"time"
)

// Entry is one row of a table. Merge must be commutative, associative and
// idempotent; it must not modify its receiver or argument.
type Entry[E any] interface {
	PartitionKey() []byte
	SortKey() []byte
	Merge(other E) E
	// IsTombstone reports whether the entry only records a deletion.
	IsTombstone() bool
}

// Schema describes a table.
type Schema[E Entry[E]] struct {
	// Name names the table; it is the bbolt bucket name and the name
	// replicas use to route writes.
	Name string
	// Encode and Decode convert entries to and from their stored form.
	// Stored forms must start with a format version. Decode must not
	// keep references to its argument: local reads decode values in
	// place, inside their bbolt read transaction.
	Encode func(E) ([]byte, error)
	Decode func([]byte) (E, error)
	// DecodeLight, if set, is a cheaper Decode for range reads that ask
	// for it (RangeQuery.Light): it may leave out fields such reads do
	// not need, but what the table's filters and IsTombstone look at must
	// be there. Light entries are only ever returned to the caller, never
	// merged, encoded or written back, so they are used only when the
	// range is read from one replica; otherwise Decode is.
	DecodeLight func([]byte) (E, error)
	// Updated, if set, is called in the local transaction that changed an
	// entry, with the previous value (nil for a new entry) and the merged
	// value. It may enqueue follow-up work with tx.Enqueue.
	Updated func(tx *Tx, old *E, merged E) error
	// Stamp, if set, returns the highest timestamp an entry holds. Each
	// replica reports the Stamp of the entry it held before merging a
	// write (see Table.InsertStamped); without it replicas report 0.
	Stamp func(E) uint64
	// Compact, if set, returns a smaller form of e without what is older
	// than before and can no longer change what the entry means (markers
	// kept only to shadow late writes), and whether it dropped anything.
	// The garbage collector (GC) applies it only once every holder of
	// the partition stored the same value for longer than the GC delay,
	// and replaces on each holder only a value still equal to it. It must
	// be pure, and merging any entry into the compacted form must give
	// what merging it into e gives, except for what is older than before
	// (see GC for the argument).
	Compact func(e E, before time.Time) (E, bool)
	// KeepTombstones keeps the table's tombstones forever: the GC never
	// deletes them (tables of few entries whose deletion must never be
	// undone, such as access keys).
	KeepTombstones bool
}

// PartitionHash is the hash of a partition key; its first byte is the
// partition number.
type PartitionHash [32]byte

// HashPartitionKey returns the hash of pk.
func HashPartitionKey(pk []byte) PartitionHash { return sha256.Sum256(pk) }

// Partition returns the partition number (0..255) of the hash.
func (h PartitionHash) Partition() uint8 { return h[0] }

// storageKey is where an entry lives in its table's bbolt bucket: the
// partition key hash followed by the sort key, so the entries of one
// partition key are contiguous and ordered by sort key.
func storageKey(pk, sk []byte) []byte {
	h := HashPartitionKey(pk)
	k := make([]byte, 0, len(h)+len(sk))
	k = append(k, h[:]...)
	return append(k, sk...)
}
