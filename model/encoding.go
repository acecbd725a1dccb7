package model

import (
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Stored entries start with a format byte. Decoders for older formats stay
// when the format changes.
const (
	// formatJSON: the entry as JSON. Written by the first versions.
	formatJSON = 1
	// formatCBOR: the entry as CBOR (RFC 8949), with the same field names
	// as the JSON form. Smaller and several times faster to decode: byte
	// strings (inline object data, hashes) are stored raw, not in base64.
	formatCBOR = 2
	// formatCompact: object entries only, CBOR with integer keys and raw
	// ids (encoding_object.go). Other entries stay in format 2.
	formatCompact = 3
)

// cborEnc encodes deterministically (sorted map keys), so equal entries
// have equal encodings, which the table layer relies on to skip writes
// that change nothing.
var cborEnc, _ = cbor.CanonicalEncOptions().EncMode()

var cborDec, _ = cbor.DecOptions{
	MaxArrayElements: 1 << 20,
	MaxMapPairs:      1 << 20,
	MaxNestedLevels:  16,
}.DecMode()

func encodeEntry[T any](v T) ([]byte, error) {
	if o, ok := any(v).(Object); ok {
		return encodeObject(o)
	}
	b, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+1)
	out = append(out, formatCBOR)
	return append(out, b...), nil
}

func decodeEntry[T any](b []byte) (T, error) {
	var v T
	if len(b) == 0 {
		return v, fmt.Errorf("empty entry")
	}
	var err error
	switch b[0] {
	case formatCompact:
		p, ok := any(&v).(*Object)
		if !ok {
			return v, fmt.Errorf("entry format %d is for objects only, not %T", b[0], v)
		}
		*p, err = decodeObject(b[1:])
	case formatCBOR:
		err = cborDec.Unmarshal(b[1:], &v)
	case formatJSON:
		err = json.Unmarshal(b[1:], &v)
	default:
		return v, fmt.Errorf("unknown entry format %d", b[0])
	}
	return v, err
}
