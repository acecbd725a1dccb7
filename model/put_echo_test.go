package model

import (
	"context"
	"testing"
)

// A replica can hold the very version a write brings before the write
// reaches it: anti-entropy or a read repair carried it over from another
// replica first. It then reports the version's own stamp as the one it
// held. That is not a concurrent newer version: the write counts.
func TestInsertStampedIgnoresItsOwnVersion(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	v := ObjectVersion{UUID: "v1", TS: e.m.clock.Now(), State: StateComplete, Data: &ObjectData{Inline: []byte("x")}}
	// The echo: the version is already here.
	if err := e.m.objects.Insert(ctx, Object{Bucket: "b", Key: "k", Versions: []ObjectVersion{v}}); err != nil {
		t.Fatal(err)
	}
	prior, err := e.m.insertStamped(ctx, "b", "k", v)
	if err != nil {
		t.Fatal(err)
	}
	if prior >= v.TS {
		t.Fatalf("prior stamp %d, want below the version's own %d", prior, v.TS)
	}
	// Another version stamped the same is a real race.
	w := v
	w.UUID = "v2"
	prior, err = e.m.insertStamped(ctx, "b", "k", w)
	if err != nil {
		t.Fatal(err)
	}
	if prior < w.TS {
		t.Fatalf("prior stamp %d with another version stamped %d held, want at least that", prior, w.TS)
	}
}
