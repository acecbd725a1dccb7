package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"testing"
)

// TestCompactObjectGoldenBytes pins the format-3 bytes: an object with
// every field filled (plain and hex-looking strings) and a sample object
// must encode to exactly the bytes recorded when format 3 was written.
// A refactor of the encoder that changes a byte fails here; a deliberate
// change of the format needs a new format number instead.
func TestCompactObjectGoldenBytes(t *testing.T) {
	filled := func(s func(string) string) Object {
		var o Object
		fill(t, reflect.ValueOf(&o).Elem(), "o", s)
		for i := range o.Versions {
			o.Versions[i].State = []string{StateComplete, "some-future-state"}[i]
		}
		return o
	}
	for _, c := range []struct {
		name string
		o    Object
		want string // SHA-256 of the encoding
	}{
		{"filled-text", filled(func(p string) string { return "x" + p }), "d505586d0312c6bc922bd7a04b3fa9bc1de562cf93de960edcc5521ef80c0951"},
		{"filled-hex", filled(func(p string) string { return fmt.Sprintf("%x", p) }), "3f02b282b01901265f2c8902f80f6660599ff75de024b1464aee03ff59a0c571"},
		{"sample", sampleObject("photos/2026/a.jpg", 100), "dd5b9a25748ccf8f74789dff3bfcb938be0c7411941e325d8150a70f8de48789"},
		{"empty", Object{Bucket: "b", Key: "k"}, "7c1ee17a4b8aabea9cd455faa8435ab0eda756eef96280368220e3b8355e5c25"},
	} {
		enc, err := encodeEntry(c.o)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(enc)
		if got := hex.EncodeToString(sum[:]); got != c.want {
			t.Errorf("%s: format-3 bytes changed: sha256 %s, want %s (%d bytes)", c.name, got, c.want, len(enc))
		}
	}
}
