package model

import (
	"reflect"
	"testing"
)

// TestLightDecodeOfCompactObject: a listing reads the same from an object
// stored in format 3 as from one stored in format 2.
func TestLightDecodeOfCompactObject(t *testing.T) {
	o := sampleObject("k", 64)
	o.Versions[1].Meta.Headers["X-Amz-Storage-Class"] = "STANDARD_IA"
	o.Versions[1].Meta.Checksums = map[string]string{"CRC32": "AAAAAA=="}
	o.Versions = append(o.Versions, ObjectVersion{UUID: "not-hex", TS: 1<<40 + 9, State: StateComplete, Data: &ObjectData{DeleteMarker: true}})
	want, err := decodeObjectLight(formatV2(t, o))
	if err != nil {
		t.Fatal(err)
	}
	v3, _ := encodeEntry(o)
	got, err := decodeObjectLight(v3)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("light decode of format 3: %+v %v, want %+v", got, err, want)
	}
}
