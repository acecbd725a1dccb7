package model

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
)

// Version states.
const (
	StateUploading = "uploading"
	StateComplete  = "complete"
	StateAborted   = "aborted"
	// StateSuperseded marks a complete version that a newer one replaced.
	// The marker keeps the version's data references (so any replica can
	// release them) but not its metadata, and is dropped once it is
	// markerRetention older than the current version.
	StateSuperseded = "superseded"
)

// Superseded and aborted markers are kept for markerRetention, measured
// against the current version's timestamp (not a clock, so the compaction
// is the same on every replica), and at most maxMarkers of them, the
// newest: an object overwritten again and again keeps a small entry. A
// replica that missed more history than that could bring back a stale
// upload in progress, which the stale-upload clean-up aborts.
const (
	markerRetention = uint64(24 * 60 * 60 * 1000)
	maxMarkers      = 8
)

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
// complete version, uploads in progress, and recent markers of superseded
// and aborted versions (so that a replica that missed an abort or a newer
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

// stateRank orders states for merging one version seen twice: an abort
// wins over everything, completion over an upload in progress.
func stateRank(s string) int {
	switch s {
	case StateSuperseded:
		return 3
	case StateAborted:
		return 2
	case StateComplete:
		return 1
	}
	return 0
}

// Merge implements table.Entry.
func (o Object) Merge(other Object) Object {
	byID := make(map[string]ObjectVersion, len(o.Versions)+len(other.Versions))
	for _, list := range [][]ObjectVersion{o.Versions, other.Versions} {
		for _, v := range list {
			cur, ok := byID[v.UUID]
			if !ok || stateRank(v.State) > stateRank(cur.State) || stateRank(v.State) == stateRank(cur.State) && greaterEncoding(v, cur) {
				byID[v.UUID] = v
			}
		}
	}
	vs := make([]ObjectVersion, 0, len(byID))
	for _, v := range byID {
		vs = append(vs, v)
	}
	slices.SortFunc(vs, func(a, b ObjectVersion) int {
		return cmp.Or(cmp.Compare(a.TS, b.TS), cmp.Compare(a.UUID, b.UUID))
	})
	out := Object{Bucket: o.Bucket, Key: o.Key, Versions: pruneVersions(vs)}
	if len(out.Versions) == 0 {
		out.Versions = nil
	}
	if out.Bucket == "" {
		out.Bucket, out.Key = other.Bucket, other.Key
	}
	return out
}

// pruneVersions turns complete versions older than the newest complete one
// into superseded markers, and drops markers older than markerRetention.
func pruneVersions(vs []ObjectVersion) []ObjectVersion {
	last := -1
	for i, v := range vs {
		if v.State == StateComplete {
			last = i
		}
	}
	if last < 0 {
		return vs
	}
	newest := vs[last].TS
	isMarker := func(v ObjectVersion) bool { return v.State == StateSuperseded || v.State == StateAborted }
	markers := 0
	for i, v := range vs {
		if isMarker(v) || i < last && v.State == StateComplete {
			markers++
		}
	}
	out := vs[:0:0]
	for i, v := range vs {
		if i < last && v.State == StateComplete {
			v = ObjectVersion{UUID: v.UUID, TS: v.TS, State: StateSuperseded, Multipart: v.Multipart, Data: v.Data}
		}
		if isMarker(v) {
			// vs is oldest first: the first markers are the ones beyond
			// the newest maxMarkers.
			drop := markers > maxMarkers || v.TS+markerRetention < newest
			markers--
			if drop {
				continue
			}
		}
		out = append(out, v)
	}
	return out
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
// (which writers never produce, but merge must stay deterministic).
func greaterEncoding(a, b ObjectVersion) bool {
	ea, _ := json.Marshal(a)
	eb, _ := json.Marshal(b)
	return bytes.Compare(ea, eb) > 0
}
