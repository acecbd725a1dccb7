package model

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// history is what writers may produce for a handful of versions of one
// key: each version starts uploading at ts0 and may be completed (at a
// later or equal ts1, as completions are stamped when they finish),
// aborted, or both (an abort that raced a completion across a network
// partition). Timestamps are hours apart and often equal.
type history struct {
	events []ObjectVersion
}

func randHistory(r *rand.Rand) history {
	var h history
	n := 1 + r.IntN(20)
	ids := r.Perm(n) // uuids unrelated to timestamps, so ties go either way
	for i := range n {
		uuid := fmt.Sprintf("u%02d", ids[i])
		hour := uint64(3600 * 1000)
		ts0 := uint64(r.IntN(30))*hour + uint64(r.IntN(2)) // up to 30 hours: beyond a day
		mp := r.IntN(3) == 0
		up := ObjectVersion{UUID: uuid, TS: ts0, State: StateUploading, Multipart: mp,
			Meta: &ObjectMeta{Headers: map[string]string{"Content-Type": "x/" + uuid}}}
		h.events = append(h.events, up)
		fate := r.IntN(4)
		if fate == 1 || fate == 3 {
			ts1 := ts0 + uint64(r.IntN(3))*hour
			c := ObjectVersion{UUID: uuid, TS: ts1, State: StateComplete, Multipart: mp,
				Meta: &ObjectMeta{Size: int64(i), ETag: "e" + uuid}}
			switch r.IntN(3) {
			case 0:
				c.Data = &ObjectData{Inline: []byte("inline " + uuid)}
			case 1:
				c.Data = &ObjectData{Parts: []PartRef{{Number: 1, DataID: "d" + uuid, Size: 3, ETag: "p", Blocks: []BlockPtr{{Hash: []byte(uuid), Size: 3}}}}}
			default:
				c.Data = &ObjectData{DeleteMarker: true}
			}
			h.events = append(h.events, c)
		}
		if fate == 2 || fate == 3 {
			a := up
			a.State = StateAborted
			h.events = append(h.events, a)
		}
	}
	return h
}

// replica returns the merge of a random subset of the history's events,
// in a random order, as a replica that saw only those would hold.
func (h history) replica(r *rand.Rand) Object {
	o := Object{Bucket: "b", Key: "k"}
	for _, i := range r.Perm(len(h.events)) {
		if r.IntN(4) != 0 {
			o = o.Merge(Object{Bucket: "b", Key: "k", Versions: []ObjectVersion{h.events[i]}})
		}
	}
	return o
}

func sameObject(a, b Object) bool {
	ea, err1 := encodeEntry(a)
	eb, err2 := encodeEntry(b)
	return err1 == nil && err2 == nil && bytes.Equal(ea, eb)
}

// TestObjectMergeLaws checks that Object.Merge is commutative, associative
// and idempotent on replicas of random histories (versions hours apart,
// equal timestamps, many markers, one version seen in several states), and
// that a merge never moves a version back to an earlier state.
func TestObjectMergeLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	markersSeen := false
	for i := 0; i < 2000; i++ {
		h := randHistory(r)
		a, b, c := h.replica(r), h.replica(r), h.replica(r)
		ab := a.Merge(b)
		if !sameObject(ab, b.Merge(a)) {
			t.Fatalf("not commutative:\n%+v\n%+v", a, b)
		}
		if !sameObject(ab.Merge(c), a.Merge(b.Merge(c))) {
			t.Fatalf("not associative:\n%+v\n%+v\n%+v\n(ab)c=%+v\na(bc)=%+v", a, b, c, ab.Merge(c), a.Merge(b.Merge(c)))
		}
		if !sameObject(a.Merge(a), a) {
			t.Fatalf("not idempotent: %+v", a)
		}
		abc := ab.Merge(c)
		for _, in := range []Object{a, b, c} {
			for _, v := range in.Versions {
				got, ok := abc.Version(v.UUID)
				if !ok {
					t.Fatalf("version %s dropped by merge:\nin  %+v\nout %+v", v.UUID, in, abc)
				}
				if stateRank(got.State) < stateRank(v.State) {
					t.Fatalf("version %s went back from %s to %s", v.UUID, v.State, got.State)
				}
			}
		}
		n := 0
		for _, v := range abc.Versions {
			if v.State == StateSuperseded || v.State == StateAborted {
				n++
			}
		}
		markersSeen = markersSeen || n > 8
	}
	if !markersSeen {
		t.Fatal("the histories never had more than 8 markers")
	}
}

// TestMarkersAreSmall: superseded and aborted versions keep only what is
// needed to release their data.
func TestMarkersAreSmall(t *testing.T) {
	data := &ObjectData{Parts: []PartRef{{Number: 1, DataID: "d1", Size: 3, ETag: "p", Checksums: map[string]string{"CRC32": "x"}, Blocks: []BlockPtr{{Hash: []byte("h"), Size: 3}}}}}
	old := ObjectVersion{UUID: "a", TS: 1, State: StateComplete, Meta: &ObjectMeta{Size: 3, ETag: "e"}, Data: data}
	inline := ObjectVersion{UUID: "b", TS: 2, State: StateComplete, Meta: &ObjectMeta{Size: 3, ETag: "e"}, Data: &ObjectData{Inline: []byte("abc")}}
	aborted := ObjectVersion{UUID: "c", TS: 3, State: StateAborted, Meta: &ObjectMeta{Headers: map[string]string{"A": "b"}}}
	cur := ObjectVersion{UUID: "d", TS: 4, State: StateComplete, Meta: &ObjectMeta{Size: 1}, Data: &ObjectData{Inline: []byte("x")}}
	o := Object{Versions: []ObjectVersion{old, inline, aborted}}.Merge(Object{Versions: []ObjectVersion{cur}})
	want := []ObjectVersion{
		{UUID: "a", TS: 1, State: StateSuperseded, Data: &ObjectData{Parts: []PartRef{{DataID: "d1", Blocks: []BlockPtr{{Hash: []byte("h"), Size: 3}}}}}},
		{UUID: "b", TS: 2, State: StateSuperseded},
		{UUID: "c", TS: 3, State: StateAborted},
		cur,
	}
	if !sameObject(o, Object{Versions: want}) {
		t.Fatalf("markers:\n%+v\nwant\n%+v", o.Versions, want)
	}
}
