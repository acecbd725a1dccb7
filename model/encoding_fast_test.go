package model

import (
	"strings"
	"testing"
)

// TestIDFastPath: the fast path of hexID and stateWire decoding gives what
// the generic decoder gives, for every length around its limits, and
// refuses what the generic decoder refuses.
func TestIDFastPath(t *testing.T) {
	var ids []string
	for n := 0; n <= 140; n++ {
		ids = append(ids, strings.Repeat("ab", n/2)+strings.Repeat("c", n%2), strings.Repeat("Z", n))
	}
	ids = append(ids, "é-ü", "0123456789abcdef0123456789abcdef")
	for _, id := range ids {
		enc, err := hexID(id).MarshalCBOR()
		if err != nil {
			t.Fatal(err)
		}
		var got hexID
		if err := got.UnmarshalCBOR(enc); err != nil || string(got) != id {
			t.Errorf("%q: decoded %q, %v", id, got, err)
		}
	}
	var h hexID
	if err := h.UnmarshalCBOR([]byte{0x63, 0xff, 0xfe, 0xfd}); err == nil {
		t.Error("a text string of invalid UTF-8 decoded")
	}
	for i, name := range stateCodes {
		enc, _ := stateWire(name).MarshalCBOR()
		var s stateWire
		if err := s.UnmarshalCBOR(enc); err != nil || string(s) != name {
			t.Errorf("state %d: %q %v", i, s, err)
		}
	}
	var s stateWire
	if err := s.UnmarshalCBOR([]byte{byte(len(stateCodes))}); err == nil {
		t.Error("an unknown state number decoded")
	}
}
