package model

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/garage-web/garage-web/table/crdt"
)

// lightCases are stored objects of every shape a listing meets.
func lightCases() []Object {
	meta := &ObjectMeta{Size: 5, ETag: "abc", ChecksumType: "FULL_OBJECT",
		Headers:   map[string]string{"Content-Type": "text/plain", "X-Amz-Meta-A": "b"},
		Checksums: map[string]string{"CRC32": "AAAAAA=="}}
	classy := &ObjectMeta{Size: 7, ETag: "def", Headers: map[string]string{"X-Amz-Storage-Class": "STANDARD_IA"}}
	tags := crdt.NewLWW(3, "k=v")
	return []Object{
		{Bucket: "b", Key: "inline", Versions: []ObjectVersion{{UUID: "u1", TS: 10, State: StateComplete, Meta: meta, Data: &ObjectData{Inline: []byte("hello")}}}},
		{Bucket: "b", Key: "classy", Versions: []ObjectVersion{
			{UUID: "u0", TS: 5, State: StateSuperseded, Data: &ObjectData{Parts: []PartRef{{DataID: "d0"}}}},
			{UUID: "u1", TS: 10, State: StateComplete, Meta: classy, Data: &ObjectData{Parts: []PartRef{{DataID: "d1", Size: 7, Blocks: []BlockPtr{{Hash: []byte{1, 2}, Size: 7}}}}}, Tags: &tags},
		}},
		{Bucket: "b", Key: "deleted", Versions: []ObjectVersion{{UUID: "u1", TS: 10, State: StateComplete, Data: &ObjectData{DeleteMarker: true}}}},
		{Bucket: "b", Key: "uploading", Versions: []ObjectVersion{{UUID: "u1", TS: 10, State: StateUploading, Multipart: true, Meta: meta}}},
		{Bucket: "b", Key: "aborted", Versions: []ObjectVersion{{UUID: "u1", TS: 10, State: StateAborted}}},
		{Bucket: "b", Key: "empty"},
	}
}

// TestDecodeObjectLight: on a light decode, of CBOR and of the old JSON
// format, everything a listing reads is what the whole decode gives.
func TestDecodeObjectLight(t *testing.T) {
	for _, o := range lightCases() {
		cb, err := encodeEntry(o)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		cb2, err := cborEnc.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		for name, enc := range map[string][]byte{"stored": cb, "cbor": append([]byte{formatCBOR}, cb2...), "json": append([]byte{formatJSON}, js...)} {
			full, err := decodeEntry[Object](enc)
			if err != nil {
				t.Fatal(err)
			}
			light, err := decodeObjectLight(enc)
			if err != nil {
				t.Fatalf("%s %s: %v", o.Key, name, err)
			}
			if got, want := listed(light), listed(full); got != want {
				t.Errorf("%s %s: light decode lists\n%s\nwhole decode\n%s", o.Key, name, got, want)
			}
			if light.IsTombstone() != full.IsTombstone() || light.MaxTS() != full.MaxTS() || len(light.Uploads()) != len(full.Uploads()) {
				t.Errorf("%s %s: tombstone, MaxTS or uploads differ", o.Key, name)
			}
			if v, ok := light.Visible(); ok && v.Data != nil && (v.Data.Inline != nil || v.Data.Parts != nil) {
				t.Errorf("%s %s: the light decode kept the data", o.Key, name)
			}
		}
	}
	if _, err := decodeObjectLight(nil); err == nil {
		t.Error("an empty entry decoded")
	}
	if _, err := decodeObjectLight([]byte{99}); err == nil {
		t.Error("an unknown format decoded")
	}
}

// listed renders what a listing shows of o.
func listed(o Object) string {
	v, ok := o.Visible()
	if !ok {
		return fmt.Sprintf("%s: not visible", o.Key)
	}
	var class string
	if v.Meta != nil {
		class = v.Meta.Headers["X-Amz-Storage-Class"]
	}
	return fmt.Sprintf("%s: %s ts=%d size=%d etag=%s checksums=%v type=%s class=%q", o.Key, v.UUID, v.TS, v.Meta.Size, v.Meta.ETag,
		v.Meta.Checksums, v.Meta.ChecksumType, class)
}

// TestListSummary: a summary listing lists the same keys, truncation and
// figures as a whole one, in pages of every size.
func TestListSummary(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	for i := range 25 {
		put(t, e.m, "bk", fmt.Sprintf("k/%02d", i), []byte(fmt.Sprint(i)))
	}
	if err := e.m.DeleteObject(ctx, "bk", "k/07"); err != nil {
		t.Fatal(err)
	}
	for _, max := range []int{1, 2, 10, 24, 25, 1000} {
		for _, after := range []string{"", "k/05", "k/24"} {
			in := ListInput{BucketID: "bk", MaxKeys: max, StartAfter: after}
			full, err := e.m.ListObjects(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			in.Summary = true
			sum, err := e.m.ListObjects(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(full.Objects) != len(sum.Objects) || full.IsTruncated != sum.IsTruncated || full.NextMarker != sum.NextMarker {
				t.Fatalf("max %d after %q: %d objects, truncated %v, next %q; summary %d, %v, %q", max, after,
					len(full.Objects), full.IsTruncated, full.NextMarker, len(sum.Objects), sum.IsTruncated, sum.NextMarker)
			}
			for i := range full.Objects {
				f, s := full.Objects[i], sum.Objects[i]
				if f.Key != s.Key || f.Version.TS != s.Version.TS || !reflect.DeepEqual(f.Version.Meta.ETag, s.Version.Meta.ETag) || f.Version.Meta.Size != s.Version.Meta.Size {
					t.Errorf("max %d after %q: entry %d is %+v in the summary, %+v in the whole listing", max, after, i, s, f)
				}
			}
		}
	}
}
