package model

import (
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	"github.com/garage-web/garage-web/table/crdt"
)

// Format 3 (formatCompact) is the stored form of object entries, the
// table that holds one entry per object and most of the metadata bytes.
// It is CBOR like format 2, with three changes that keep the meaning and
// drop bytes:
//
//   - map keys are small integers instead of field names (the wire
//     structs below; their numbers never change, new fields get new ones);
//   - ids that are lowercase hex (uuids, MD5 ETags, bucket ids) are stored
//     as the raw bytes they spell (hexID), half their size;
//   - version states are small integers (stateWire).
//
// Decoding gives back exactly the Object that was encoded (the tests fill
// every field by reflection and compare), so a node that stores format 3
// and one that stores format 2 hold the same entry. Their Merkle items
// differ until anti-entropy exchanges the entry: the holder of the format
// 2 bytes merges the format 3 value, re-encodes the result in format 3
// and stores it (the bytes differ), after which both trees agree
// (TestMixedFormatsConverge). A node of a version that only knows formats
// 1 and 2 cannot decode format 3: upgrade every node before writing.

// objectWire is the format-3 form of an Object.
type objectWire struct {
	Bucket   hexID         `cbor:"1,keyasint,omitempty"`
	Key      string        `cbor:"2,keyasint,omitempty"`
	Versions []versionWire `cbor:"3,keyasint,omitempty"`
}

// versionWire is the format-3 form of an ObjectVersion.
type versionWire struct {
	UUID      hexID             `cbor:"1,keyasint,omitempty"`
	TS        uint64            `cbor:"2,keyasint,omitempty"`
	State     stateWire         `cbor:"3,keyasint"`
	Multipart bool              `cbor:"4,keyasint,omitempty"`
	Meta      *metaWire         `cbor:"5,keyasint,omitempty"`
	Data      *dataWire         `cbor:"6,keyasint,omitempty"`
	Tags      *crdt.LWW[string] `cbor:"7,keyasint,omitempty"`
	ACL       crdt.LWW[*ACL]    `cbor:"8,keyasint,omitzero"`
}

// metaWire is the format-3 form of an ObjectMeta.
type metaWire struct {
	Size         int64             `cbor:"1,keyasint,omitempty"`
	ETag         hexID             `cbor:"2,keyasint,omitempty"`
	Headers      map[string]string `cbor:"3,keyasint,omitempty"`
	Checksums    map[string]string `cbor:"4,keyasint,omitempty"`
	ChecksumType string            `cbor:"5,keyasint,omitempty"`
}

// dataWire is the format-3 form of an ObjectData.
type dataWire struct {
	DeleteMarker bool       `cbor:"1,keyasint,omitempty"`
	Inline       []byte     `cbor:"2,keyasint,omitempty"`
	Parts        []partWire `cbor:"3,keyasint,omitempty"`
}

// partWire is the format-3 form of a PartRef.
type partWire struct {
	Number    int               `cbor:"1,keyasint,omitempty"`
	DataID    hexID             `cbor:"2,keyasint,omitempty"`
	Size      int64             `cbor:"3,keyasint,omitempty"`
	ETag      hexID             `cbor:"4,keyasint,omitempty"`
	Checksums map[string]string `cbor:"5,keyasint,omitempty"`
	Blocks    []blockWire       `cbor:"6,keyasint,omitempty"`
}

// blockWire is a BlockPtr as a two-element array: hash, size.
type blockWire struct {
	_    struct{} `cbor:",toarray"`
	Hash []byte
	Size int64
}

// hexID is a string stored as the bytes it spells when it is lowercase
// hex of even length (a CBOR byte string), else as itself (a text
// string). Both forms decode back to the same string.
type hexID string

// MarshalCBOR implements cbor.Marshaler.
func (h hexID) MarshalCBOR() ([]byte, error) {
	if b, ok := lowerHex(string(h)); ok {
		return cborEnc.Marshal(b)
	}
	return cborEnc.Marshal(string(h))
}

// UnmarshalCBOR implements cbor.Unmarshaler.
func (h *hexID) UnmarshalCBOR(data []byte) error {
	if major, p, ok := shortString(data); ok {
		// The common case, read without the generic decoder (the GET and
		// listing paths decode several ids per object).
		if major == 2 {
			var buf [128]byte
			*h = hexID(hex.AppendEncode(buf[:0], p))
		} else {
			*h = hexID(p)
		}
		return nil
	}
	if len(data) > 0 && data[0]>>5 == 2 { // major type 2: byte string
		var b []byte
		if err := cborDec.Unmarshal(data, &b); err != nil {
			return err
		}
		*h = hexID(hex.EncodeToString(b))
		return nil
	}
	var s string
	if err := cborDec.Unmarshal(data, &s); err != nil {
		return err
	}
	*h = hexID(s)
	return nil
}

// shortString returns the payload of data when data is exactly one
// definite-length byte string (major type 2) or text string (major type
// 3) of fewer than 64 bytes, the form of every id; ok is false for
// anything else, which the generic decoder handles.
func shortString(data []byte) (major byte, payload []byte, ok bool) {
	if len(data) == 0 {
		return 0, nil, false
	}
	major, info := data[0]>>5, data[0]&0x1f
	if major != 2 && major != 3 {
		return 0, nil, false
	}
	n, hdr := int(info), 1
	switch {
	case info == 24 && len(data) >= 2:
		n, hdr = int(data[1]), 2
	case info >= 24:
		return 0, nil, false
	}
	if n >= 64 || len(data) != hdr+n || major == 3 && !utf8.Valid(data[hdr:]) {
		return 0, nil, false
	}
	return major, data[hdr:], true
}

// lowerHex decodes s if it is non-empty lowercase hex of even length,
// which hex.EncodeToString gives back unchanged.
func lowerHex(s string) ([]byte, bool) {
	if s == "" || len(s)%2 != 0 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, false
		}
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// stateWire is a version state stored as a small integer when it is one
// of the known states, else as its text.
type stateWire string

var stateCodes = []string{StateUploading, StateComplete, StateAborted, StateSuperseded}

// MarshalCBOR implements cbor.Marshaler.
func (s stateWire) MarshalCBOR() ([]byte, error) {
	for i, n := range stateCodes {
		if string(s) == n {
			return cborEnc.Marshal(uint8(i))
		}
	}
	return cborEnc.Marshal(string(s))
}

// UnmarshalCBOR implements cbor.Unmarshaler.
func (s *stateWire) UnmarshalCBOR(data []byte) error {
	if len(data) == 1 && data[0] < 24 { // an unsigned integer below 24: one byte
		if int(data[0]) >= len(stateCodes) {
			return fmt.Errorf("unknown version state %d", data[0])
		}
		*s = stateWire(stateCodes[data[0]])
		return nil
	}
	if len(data) > 0 && data[0]>>5 == 0 { // major type 0: unsigned integer
		var i uint64
		if err := cborDec.Unmarshal(data, &i); err != nil {
			return err
		}
		if i >= uint64(len(stateCodes)) {
			return fmt.Errorf("unknown version state %d", i)
		}
		*s = stateWire(stateCodes[i])
		return nil
	}
	var t string
	if err := cborDec.Unmarshal(data, &t); err != nil {
		return err
	}
	*s = stateWire(t)
	return nil
}

var (
	_ cbor.Marshaler   = hexID("")
	_ cbor.Unmarshaler = (*hexID)(nil)
	_ cbor.Marshaler   = stateWire("")
	_ cbor.Unmarshaler = (*stateWire)(nil)
)

// encodeObject is the format-3 encoding of o.
func encodeObject(o Object) ([]byte, error) {
	w := objectWire{Bucket: hexID(o.Bucket), Key: o.Key, Versions: convertAll(o.Versions, versionToWire)}
	b, err := cborEnc.Marshal(w)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+1)
	out = append(out, formatCompact)
	return append(out, b...), nil
}

// decodeObject decodes the format-3 body b (after the format byte).
func decodeObject(b []byte) (Object, error) {
	var w objectWire
	if err := cborDec.Unmarshal(b, &w); err != nil {
		return Object{}, err
	}
	return Object{Bucket: string(w.Bucket), Key: w.Key, Versions: convertAll(w.Versions, versionFromWire)}, nil
}

// convertAll is f applied to each element of in, nil when in is empty
// (an omitted list decodes as nil, so both directions agree).
func convertAll[T, U any](in []T, f func(T) U) []U {
	if len(in) == 0 {
		return nil
	}
	out := make([]U, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

// The pairs below convert each level of an Object to its wire form and
// back; every field is copied as it is, ids through hexID.

func versionToWire(v ObjectVersion) versionWire {
	w := versionWire{UUID: hexID(v.UUID), TS: v.TS, State: stateWire(v.State), Multipart: v.Multipart, Tags: v.Tags, ACL: v.ACL}
	if m := v.Meta; m != nil {
		w.Meta = &metaWire{Size: m.Size, ETag: hexID(m.ETag), Headers: m.Headers, Checksums: m.Checksums, ChecksumType: m.ChecksumType}
	}
	if d := v.Data; d != nil {
		w.Data = &dataWire{DeleteMarker: d.DeleteMarker, Inline: d.Inline, Parts: convertAll(d.Parts, partToWire)}
	}
	return w
}

func versionFromWire(w versionWire) ObjectVersion {
	v := ObjectVersion{UUID: string(w.UUID), TS: w.TS, State: string(w.State), Multipart: w.Multipart, Tags: w.Tags, ACL: w.ACL}
	if m := w.Meta; m != nil {
		v.Meta = &ObjectMeta{Size: m.Size, ETag: string(m.ETag), Headers: m.Headers, Checksums: m.Checksums, ChecksumType: m.ChecksumType}
	}
	if d := w.Data; d != nil {
		v.Data = &ObjectData{DeleteMarker: d.DeleteMarker, Inline: d.Inline, Parts: convertAll(d.Parts, partFromWire)}
	}
	return v
}

func partToWire(p PartRef) partWire {
	return partWire{Number: p.Number, DataID: hexID(p.DataID), Size: p.Size, ETag: hexID(p.ETag), Checksums: p.Checksums,
		Blocks: convertAll(p.Blocks, func(b BlockPtr) blockWire { return blockWire{Hash: b.Hash, Size: b.Size} })}
}

func partFromWire(w partWire) PartRef {
	return PartRef{Number: w.Number, DataID: string(w.DataID), Size: w.Size, ETag: string(w.ETag), Checksums: w.Checksums,
		Blocks: convertAll(w.Blocks, func(b blockWire) BlockPtr { return BlockPtr{Hash: b.Hash, Size: b.Size} })}
}

// lightObjectWire is the part of a format-3 object a listing reads (see
// decodeObjectLight): fields not named here are skipped, not copied.
type lightObjectWire struct {
	Key      string             `cbor:"2,keyasint,omitempty"`
	Versions []lightVersionWire `cbor:"3,keyasint,omitempty"`
}

type lightVersionWire struct {
	UUID      hexID          `cbor:"1,keyasint,omitempty"`
	TS        uint64         `cbor:"2,keyasint,omitempty"`
	State     stateWire      `cbor:"3,keyasint"`
	Multipart bool           `cbor:"4,keyasint,omitempty"`
	Meta      *lightMetaWire `cbor:"5,keyasint,omitempty"`
	Data      *lightDataWire `cbor:"6,keyasint,omitempty"`
}

type lightMetaWire struct {
	Size         int64             `cbor:"1,keyasint,omitempty"`
	ETag         hexID             `cbor:"2,keyasint,omitempty"`
	Headers      lightHeadersWire  `cbor:"3,keyasint,omitempty"`
	Checksums    map[string]string `cbor:"4,keyasint,omitempty"`
	ChecksumType string            `cbor:"5,keyasint,omitempty"`
}

// lightHeadersWire keeps the one stored header a listing shows.
type lightHeadersWire struct {
	StorageClass string `cbor:"X-Amz-Storage-Class,omitempty"`
}

type lightDataWire struct {
	DeleteMarker bool `cbor:"1,keyasint,omitempty"`
}

// decodeObjectLightCompact is decodeObjectLight for the format-3 body b
// (after the format byte).
func decodeObjectLightCompact(b []byte) (Object, error) {
	var w lightObjectWire
	if err := cborDec.Unmarshal(b, &w); err != nil {
		return Object{}, err
	}
	o := Object{Key: w.Key, Versions: make([]ObjectVersion, len(w.Versions))}
	datas := make([]ObjectData, len(w.Versions))
	metas := make([]ObjectMeta, len(w.Versions))
	for i, lv := range w.Versions {
		v := ObjectVersion{UUID: string(lv.UUID), TS: lv.TS, State: string(lv.State), Multipart: lv.Multipart}
		if lv.Data != nil {
			datas[i].DeleteMarker = lv.Data.DeleteMarker
			v.Data = &datas[i]
		}
		if lm := lv.Meta; lm != nil {
			metas[i] = ObjectMeta{Size: lm.Size, ETag: string(lm.ETag), Checksums: lm.Checksums, ChecksumType: lm.ChecksumType}
			if sc := lm.Headers.StorageClass; sc != "" {
				metas[i].Headers = map[string]string{"X-Amz-Storage-Class": sc}
			}
			v.Meta = &metas[i]
		}
		o.Versions[i] = v
	}
	return o, nil
}
