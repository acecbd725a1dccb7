package model

import (
	"encoding/json"
	"fmt"
)

// formatV1 is the first byte of every stored entry: the format version.
// Decoders for older versions must stay when the format changes.
const formatV1 = 1

func encodeV1[T any](v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+1)
	out = append(out, formatV1)
	return append(out, b...), nil
}

func decodeV1[T any](b []byte) (T, error) {
	var v T
	if len(b) == 0 {
		return v, fmt.Errorf("empty entry")
	}
	if b[0] != formatV1 {
		return v, fmt.Errorf("unknown entry format %d", b[0])
	}
	err := json.Unmarshal(b[1:], &v)
	return v, err
}
