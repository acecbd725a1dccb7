package model

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestCompactNeverChangesALaterMerge checks the argument of compact.go on
// replicas of random histories: for a compacted entry c of a and anything
// b merged later (late writes of any event of the history), merge(c, b)
// shows the same current version as merge(a, b), and holds every version
// stamped at or after the cut-off exactly as merge(a, b) does.
func TestCompactNeverChangesALaterMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	dropped := 0
	for i := 0; i < 3000; i++ {
		h := randHistory(r)
		a, b := h.replica(r), h.replica(r)
		cut := uint64(r.IntN(33)) * 3600 * 1000
		c, ok := compactObject(a, time.UnixMilli(int64(cut)))
		if !ok {
			c = a
		} else {
			dropped += len(a.Versions) - len(c.Versions)
			if len(c.Versions) >= len(a.Versions) {
				t.Fatalf("compaction said it dropped something but kept %d of %d", len(c.Versions), len(a.Versions))
			}
		}
		want, got := a.Merge(b), c.Merge(b)
		wc, wok := want.Current()
		gc, gok := got.Current()
		if wok != gok || !reflect.DeepEqual(wc, gc) {
			t.Fatalf("case %d: current changed by compaction at %d:\n a %+v\n b %+v\n want %+v\n got  %+v", i, cut, a.Versions, b.Versions, wc, gc)
		}
		for _, v := range want.Versions {
			if v.TS < cut {
				continue
			}
			if gv, ok := got.Version(v.UUID); !ok || !reflect.DeepEqual(gv, v) {
				t.Fatalf("case %d: version %s (ts %d >= cut %d) lost or changed: want %+v, got %+v", i, v.UUID, v.TS, cut, v, gv)
			}
		}
		// What compaction keeps is also all it needs: compacting again
		// with the same cut-off drops nothing more.
		if _, again := compactObject(c, time.UnixMilli(int64(cut))); again {
			t.Fatalf("case %d: compaction not idempotent", i)
		}
	}
	if dropped == 0 {
		t.Fatal("no marker was ever dropped: the test tests nothing")
	}
}
