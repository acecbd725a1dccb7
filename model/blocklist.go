package model

import (
	"encoding/binary"

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
// replaces the previous upload (the newest wins).
type Part struct {
	UploadID string            `json:"upload"`
	Number   int               `json:"n"`
	Data     crdt.LWW[PartRef] `json:"data"`
	Deleted  crdt.Bool         `json:"deleted,omitempty"`
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

// Merge implements table.Entry.
func (p Part) Merge(o Part) Part {
	p.Data = p.Data.Merge(o.Data)
	p.Deleted = p.Deleted.Merge(o.Deleted)
	return p
}
