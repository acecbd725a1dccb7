package model

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"

	"github.com/garage-web/garage-web/table/crdt"
)

// Version states. A version only moves up this list (see stateRank):
// uploading → aborted → complete → superseded.
const (
	StateUploading = "uploading"
	StateComplete  = "complete"
	StateAborted   = "aborted"
	// StateSuperseded marks a complete version that a newer complete one
	// replaced.
	StateSuperseded = "superseded"
)

// Superseded and aborted versions are kept as markers so that a replica
// that missed the change cannot bring an old state back. A marker keeps
// only what releasing its data needs (uuid, timestamp, state, multipart
// flag, data ids and listed blocks): no metadata, no inline bytes. Merge
// never drops a marker; the table GC removes old ones once every replica
// of the partition agrees (compactObject, in compact.go), and deletes an
// object entry that is only a tombstone.

// ObjectMeta is what S3 returns about an object version.
type ObjectMeta struct {
	Size int64  `json:"size"`
	ETag string `json:"etag"` // without quotes
	// Headers are the stored HTTP headers (canonical names: Content-Type,
	// Cache-Control, Content-Disposition, Content-Encoding,
	// Content-Language, Expires, X-Amz-Website-Redirect-Location) and the
	// user metadata (X-Amz-Meta-*).
	Headers map[string]string `json:"headers,omitempty"`
	// Checksums maps an algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256)
	// to its base64 value.
	Checksums map[string]string `json:"checksums,omitempty"`
	// ChecksumType is "FULL_OBJECT" or "COMPOSITE" (multipart).
	ChecksumType string `json:"checksumType,omitempty"`
}

// PartRef is one stretch of an object's data: a data id and its size.
// A single PUT has one; a multipart object one per part.
type PartRef struct {
	Number int    `json:"n,omitempty"`
	DataID string `json:"id"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag,omitempty"`
	// Checksums of this part (multipart), for GetObjectAttributes/parts.
	Checksums map[string]string `json:"checksums,omitempty"`
	// Blocks, when set, are the data's blocks, listed here instead of in
	// the blocklists table: a PUT that fits in one block then costs one
	// metadata write. The version's hook keeps their references.
	Blocks []BlockPtr `json:"blocks,omitempty"`
}

// BlockPtr names one block and its size.
type BlockPtr struct {
	Hash []byte `json:"hash"`
	Size int64  `json:"size"`
}

// ObjectData is where a complete version's bytes are.
type ObjectData struct {
	DeleteMarker bool      `json:"deleteMarker,omitempty"`
	Inline       []byte    `json:"inline,omitempty"`
	Parts        []PartRef `json:"parts,omitempty"`
}

// ObjectVersion is one version of an object.
type ObjectVersion struct {
	UUID      string      `json:"uuid"`
	TS        uint64      `json:"ts"`
	State     string      `json:"state"`
	Multipart bool        `json:"multipart,omitempty"`
	Meta      *ObjectMeta `json:"meta,omitempty"`
	Data      *ObjectData `json:"data,omitempty"`
	// Tags, when set, is the version's tag set as changed after it was
	// written (PutObjectTagging, DeleteObjectTagging): see tagging.go.
	Tags *crdt.LWW[string] `json:"tags,omitempty"`
	// ACL, once set by PutObjectAcl, overrides the ACL the version was
	// written with (see acl.go); merged on its own, last writer wins.
	ACL crdt.LWW[*ACL] `json:"acl,omitzero"`
}

func (v ObjectVersion) before(o ObjectVersion) bool {
	return cmp.Or(cmp.Compare(v.TS, o.TS), cmp.Compare(v.UUID, o.UUID)) < 0
}

// IsData reports whether v is a complete version holding data (not a
// delete marker).
func (v ObjectVersion) IsData() bool {
	return v.State == StateComplete && v.Data != nil && !v.Data.DeleteMarker
}

// DataIDs returns the data ids the version's bytes are stored under.
func (v ObjectVersion) DataIDs() []string {
	if v.Data == nil {
		return nil
	}
	ids := make([]string, 0, len(v.Data.Parts))
	for _, p := range v.Data.Parts {
		ids = append(ids, p.DataID)
	}
	return ids
}

// Object is an object key with its versions, oldest first: the newest
// complete version, uploads in progress, and markers of superseded and
// aborted versions (so that a replica that missed an abort or a newer
// write cannot bring an old state back).
type Object struct {
	Bucket   string          `json:"bucket"`
	Key      string          `json:"key"`
	Versions []ObjectVersion `json:"versions"`
}

// PartitionKey implements table.Entry.
func (o Object) PartitionKey() []byte { return []byte(o.Bucket) }

// SortKey implements table.Entry.
func (o Object) SortKey() []byte { return []byte(o.Key) }

// IsTombstone implements table.Entry: nothing to read or to complete.
func (o Object) IsTombstone() bool {
	for _, v := range o.Versions {
		if v.State == StateUploading || v.IsData() {
			return false
		}
	}
	return true
}

// stateRank orders the states one version can be seen in; a merge keeps
// the highest. An upload in progress is the lowest. An abort beats it but
// loses to a completion: an acknowledged CompleteMultipartUpload (or PUT)
// is never undone by an abort that raced it, for example across a network
// partition, whatever order replicas learn them in (the abort's release of
// the data may then have run: see docs/architecture.md). Superseded is the
// highest: it is only ever derived from a complete version once a newer
// complete version exists, which stays true in every later merge.
func stateRank(s string) int {
	switch s {
	case StateSuperseded:
		return 3
	case StateComplete:
		return 2
	case StateAborted:
		return 1
	}
	return 0
}

// Merge implements table.Entry. It is a pure join: per version (uuid) the
// highest state wins (ties between different values of one state, which
// writers never produce, by encoding), versions are ordered by
// (timestamp, uuid), and every complete version older than the newest
// complete one becomes a superseded marker. Nothing is dropped.
func (o Object) Merge(other Object) Object {
	byID := make(map[string]ObjectVersion, len(o.Versions)+len(other.Versions))
	for _, list := range [][]ObjectVersion{o.Versions, other.Versions} {
		for _, v := range list {
			v = v.compact()
			cur, ok := byID[v.UUID]
			if !ok {
				byID[v.UUID] = v
				continue
			}
			tags := mergeTags(cur.Tags, v.Tags)
			acl := cur.ACL.Merge(v.ACL)
			if stateRank(v.State) > stateRank(cur.State) || stateRank(v.State) == stateRank(cur.State) && greaterEncoding(v, cur) {
				cur = v
			}
			cur.Tags = tags
			cur.ACL = acl
			byID[v.UUID] = cur.compact()
		}
	}
	vs := make([]ObjectVersion, 0, len(byID))
	for _, v := range byID {
		vs = append(vs, v)
	}
	slices.SortFunc(vs, func(a, b ObjectVersion) int {
		return cmp.Or(cmp.Compare(a.TS, b.TS), cmp.Compare(a.UUID, b.UUID))
	})
	last := -1
	for i, v := range vs {
		if v.State == StateComplete {
			last = i
		}
	}
	for i := 0; i < last; i++ {
		if vs[i].State == StateComplete {
			vs[i].State = StateSuperseded
			vs[i] = vs[i].compact()
		}
	}
	out := Object{Bucket: o.Bucket, Key: o.Key, Versions: vs}
	if len(out.Versions) == 0 {
		out.Versions = nil
	}
	if out.Bucket == "" {
		out.Bucket, out.Key = other.Bucket, other.Key
	}
	return out
}

// compact returns v, reduced to a marker if it is one: superseded and
// aborted versions keep their uuid, timestamp, state, multipart flag and
// the data ids and blocks their data is stored under.
func (v ObjectVersion) compact() ObjectVersion {
	if v.State != StateSuperseded && v.State != StateAborted {
		return v
	}
	m := ObjectVersion{UUID: v.UUID, TS: v.TS, State: v.State, Multipart: v.Multipart}
	if v.Data != nil && len(v.Data.Parts) > 0 {
		parts := make([]PartRef, len(v.Data.Parts))
		for i, p := range v.Data.Parts {
			parts[i] = PartRef{DataID: p.DataID, Blocks: p.Blocks}
		}
		m.Data = &ObjectData{Parts: parts}
	}
	return m
}

// MaxTS returns the highest timestamp of the object's versions (0 if it
// has none): a new version of the key must be stamped after it.
func (o Object) MaxTS() uint64 {
	var ts uint64
	for _, v := range o.Versions {
		ts = max(ts, v.TS)
	}
	return ts
}

// Current returns the newest complete version, if any.
func (o Object) Current() (ObjectVersion, bool) {
	for i := len(o.Versions) - 1; i >= 0; i-- {
		if o.Versions[i].State == StateComplete {
			return o.Versions[i], true
		}
	}
	return ObjectVersion{}, false
}

// Visible returns the version a GET sees: the newest complete version
// unless it is a delete marker.
func (o Object) Visible() (ObjectVersion, bool) {
	v, ok := o.Current()
	if !ok || !v.IsData() {
		return ObjectVersion{}, false
	}
	return v, true
}

// Version returns the version with the given uuid.
func (o Object) Version(uuid string) (ObjectVersion, bool) {
	for _, v := range o.Versions {
		if v.UUID == uuid {
			return v, true
		}
	}
	return ObjectVersion{}, false
}

// Uploads returns the multipart uploads in progress.
func (o Object) Uploads() []ObjectVersion {
	var out []ObjectVersion
	for _, v := range o.Versions {
		if v.State == StateUploading && v.Multipart {
			out = append(out, v)
		}
	}
	return out
}

// greaterEncoding breaks ties between two different values of one version
// (which writers never produce, but merge must stay deterministic). The
// tags are left out: they are merged on their own (last writer wins).
func greaterEncoding(a, b ObjectVersion) bool {
	a.Tags, b.Tags = nil, nil
	a.ACL, b.ACL = crdt.LWW[*ACL]{}, crdt.LWW[*ACL]{}
	ea, _ := json.Marshal(a)
	eb, _ := json.Marshal(b)
	return bytes.Compare(ea, eb) > 0
}
