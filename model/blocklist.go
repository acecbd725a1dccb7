package model

import (
	"encoding/binary"
	"slices"

	"github.com/garage-web/garage-web/table/crdt"
)

// BlockListEntry records one block of a data id's byte stream.
type BlockListEntry struct {
	DataID  string    `json:"id"`
	Offset  int64     `json:"off"`
	Hash    []byte    `json:"hash"`
	Size    int64     `json:"size"`
	Deleted crdt.Bool `json:"deleted,omitempty"`
}

func offsetKey(off int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(off))
	return b[:]
}

// PartitionKey implements table.Entry.
func (e BlockListEntry) PartitionKey() []byte { return []byte(e.DataID) }

// SortKey implements table.Entry.
func (e BlockListEntry) SortKey() []byte { return offsetKey(e.Offset) }

// IsTombstone implements table.Entry.
func (e BlockListEntry) IsTombstone() bool { return bool(e.Deleted) }

// Merge implements table.Entry.
func (e BlockListEntry) Merge(o BlockListEntry) BlockListEntry {
	e.Deleted = e.Deleted.Merge(o.Deleted)
	return e
}

// BlockRef records that a data id uses a block.
type BlockRef struct {
	Hash    []byte    `json:"hash"`
	User    string    `json:"user"` // data id + "/" + offset
	Size    int64     `json:"size,omitempty"`
	Deleted crdt.Bool `json:"deleted,omitempty"`
}

// PartitionKey implements table.Entry.
func (r BlockRef) PartitionKey() []byte { return r.Hash }

// SortKey implements table.Entry.
func (r BlockRef) SortKey() []byte { return []byte(r.User) }

// IsTombstone implements table.Entry.
func (r BlockRef) IsTombstone() bool { return bool(r.Deleted) }

// Merge implements table.Entry.
func (r BlockRef) Merge(o BlockRef) BlockRef {
	r.Deleted = r.Deleted.Merge(o.Deleted)
	return r
}

// Part is one uploaded multipart part. A part number uploaded again
// replaces the previous upload (the newest wins); Old keeps the data ids
// of the uploads it replaced, so that their data is released.
type Part struct {
	UploadID string            `json:"upload"`
	Number   int               `json:"n"`
	Data     crdt.LWW[PartRef] `json:"data"`
	// Old is the sorted set of every data id this part number was stored
	// under, but the current one's.
	Old     []string  `json:"old,omitempty"`
	Deleted crdt.Bool `json:"deleted,omitempty"`
}

func partKey(n int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	return b[:]
}

// PartitionKey implements table.Entry.
func (p Part) PartitionKey() []byte { return []byte(p.UploadID) }

// SortKey implements table.Entry.
func (p Part) SortKey() []byte { return partKey(p.Number) }

// IsTombstone implements table.Entry.
func (p Part) IsTombstone() bool { return bool(p.Deleted) }

// Merge implements table.Entry: the data is a last-writer-wins register,
// Old the set of every data id either side has seen minus the winner's.
func (p Part) Merge(o Part) Part {
	out := p
	out.Data = p.Data.Merge(o.Data)
	out.Deleted = p.Deleted.Merge(o.Deleted)
	var old []string
	for _, ids := range [][]string{p.Old, o.Old, {p.Data.Value.DataID, o.Data.Value.DataID}} {
		old = append(old, ids...)
	}
	slices.Sort(old)
	old = slices.Compact(old)
	old = slices.DeleteFunc(old, func(id string) bool { return id == "" || id == out.Data.Value.DataID })
	if len(old) == 0 {
		old = nil
	}
	out.Old = old
	return out
}
