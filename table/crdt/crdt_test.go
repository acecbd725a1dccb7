package crdt

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func randLWW(r *rand.Rand) LWW[string] {
	return NewLWW(uint64(r.IntN(4)), string(rune('a'+r.IntN(3))))
}

func randMap(r *rand.Rand) LWWMap[string, int] {
	var m LWWMap[string, int]
	for i := r.IntN(4); i > 0; i-- {
		m = m.Set(string(rune('k'+r.IntN(3))), uint64(r.IntN(4)), r.IntN(3))
	}
	return m
}

// TestLWWLaws checks that merge is commutative, associative and idempotent
// on random values, including timestamp ties.
func TestLWWLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		a, b, c := randLWW(r), randLWW(r), randLWW(r)
		if a.Merge(b) != b.Merge(a) {
			t.Fatalf("not commutative: %v %v", a, b)
		}
		if a.Merge(b).Merge(c) != a.Merge(b.Merge(c)) {
			t.Fatalf("not associative: %v %v %v", a, b, c)
		}
		if a.Merge(a) != a {
			t.Fatalf("not idempotent: %v", a)
		}
	}
}

func TestLWWMapLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	eq := func(x, y LWWMap[string, int]) bool {
		if len(x) == 0 && len(y) == 0 {
			return true
		}
		return reflect.DeepEqual(x, y)
	}
	for i := 0; i < 2000; i++ {
		a, b, c := randMap(r), randMap(r), randMap(r)
		if !eq(a.Merge(b), b.Merge(a)) {
			t.Fatalf("not commutative: %v %v", a, b)
		}
		if !eq(a.Merge(b).Merge(c), a.Merge(b.Merge(c))) {
			t.Fatalf("not associative: %v %v %v", a, b, c)
		}
		if !eq(a.Merge(a), a) {
			t.Fatalf("not idempotent: %v", a)
		}
	}
}
