package cluster

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestLayoutEncodingRoundTrip(t *testing.T) {
	for run := range propertyRuns() {
		rng := rand.New(rand.NewPCG(uint64(run), 21))
		for _, l := range randomReplicas(t, rng, 2, 30) {
			b, err := l.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != layoutFormatTrackers {
				t.Fatalf("format byte %d", b[0])
			}
			var got Layout
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			b2, err := got.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) || got.Digest() != l.Digest() {
				t.Fatalf("run %d: round trip changed the encoding", run)
			}
			if got.Version() != l.Version() || !got.Assignment().Equal(l.Assignment()) ||
				len(got.Staged()) != len(l.Staged()) || len(got.History()) != len(l.History()) {
				t.Fatalf("run %d: round trip changed the layout", run)
			}
			for i, h := range l.History() {
				g := got.History()[i]
				if !g.AppliedAt.Equal(h.AppliedAt) || !g.Assignment.Equal(h.Assignment) || g.Moves != h.Moves {
					t.Fatalf("run %d: history %d differs: %+v vs %+v", run, i, g, h)
				}
			}
			// The decoded copy keeps working.
			if got.Version() > 0 {
				got.Revert()
				for id, r := range got.Roles() {
					mustStage(t, &got, id, r)
				}
				if p, err := got.Apply(got.Version()+1, testTime); err != nil || p.Moves != 0 {
					t.Fatalf("run %d: apply after decode: %v, %d moves", run, err, p.Moves)
				}
			}
		}
	}
}

func TestLayoutEncodingErrors(t *testing.T) {
	l := mustLayout(t, 1)
	mustStage(t, l, testID(1), Role{Zone: "a", Capacity: 1e12})
	mustApply(t, l)
	good, err := l.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"empty":      nil,
		"format":     append([]byte{99}, good[1:]...),
		"truncated":  good[:len(good)/2],
		"not cbor":   {layoutFormatCBOR, 0xff, 0x00},
		"wrong type": {layoutFormatCBOR, 0x01},
	} {
		var got Layout
		if err := got.UnmarshalBinary(b); !errors.Is(err, ErrLayoutFormat) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestLayoutDigest(t *testing.T) {
	a := mustLayout(t, 1)
	b := a.Clone()
	if a.Digest() != b.Digest() {
		t.Fatal("equal layouts, different digests")
	}
	d0 := a.Digest()
	mustStage(t, a, testID(1), Role{Zone: "a", Capacity: 1e12})
	d1 := a.Digest()
	mustApply(t, a)
	d2 := a.Digest()
	if d0 == d1 || d1 == d2 || d0 == d2 {
		t.Fatal("digest did not change with staging or apply")
	}
	if len(d2.String()) != 32 {
		t.Fatalf("digest string %q", d2)
	}
}

func TestLayoutEncodingShortNodeID(t *testing.T) {
	w := roleEntryWire{ID: idWire(testID(1)), Role: roleWire{Zone: "a", Capacity: 1}}
	b, err := layoutEnc.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	// The id is the byte string after the array header: shorten it.
	short, err := layoutEnc.Marshal([]any{[]byte{1, 2, 3}, w.Role})
	if err != nil {
		t.Fatal(err)
	}
	var got roleEntryWire
	if err := layoutDec.Unmarshal(b, &got); err != nil || NodeID(got.ID) != testID(1) {
		t.Fatalf("good id: %v %x", err, got.ID)
	}
	if err := layoutDec.Unmarshal(short, &got); err == nil {
		t.Fatal("short node id accepted")
	}
}
