// Package crdt holds the conflict-free replicated building blocks that
// table entries are made of, and the hybrid clock that timestamps them.
//
// Every Merge here is commutative, associative and idempotent: replicas
// that have seen the same set of writes hold the same value, whatever the
// order in which the writes arrived.
package crdt

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
)

// LWW is a last-writer-wins register. On equal timestamps the larger JSON
// encoding wins, which keeps merge deterministic.
type LWW[T any] struct {
	TS    uint64 `json:"t"`
	Value T      `json:"v"`
}

// NewLWW returns a register holding v written at ts.
func NewLWW[T any](ts uint64, v T) LWW[T] { return LWW[T]{TS: ts, Value: v} }

// Merge returns the winner of a and b.
func (a LWW[T]) Merge(b LWW[T]) LWW[T] {
	switch {
	case a.TS > b.TS:
		return a
	case b.TS > a.TS:
		return b
	}
	ea, _ := json.Marshal(a.Value)
	eb, _ := json.Marshal(b.Value)
	if bytes.Compare(ea, eb) >= 0 {
		return a
	}
	return b
}

// LWWMap is a map whose every key is a last-writer-wins register. Removal
// is done by writing a tombstone value chosen by the user (for example a
// nil pointer or a zero value), so removals merge like any write.
type LWWMap[K cmp.Ordered, V any] map[K]LWW[V]

// Merge returns the key-wise merge of m and o. Neither input is modified.
func (m LWWMap[K, V]) Merge(o LWWMap[K, V]) LWWMap[K, V] {
	out := make(LWWMap[K, V], max(len(m), len(o)))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range o {
		if cur, ok := out[k]; ok {
			out[k] = cur.Merge(v)
		} else {
			out[k] = v
		}
	}
	return out
}

// Set writes v under k at ts and returns m (allocating it if nil).
func (m LWWMap[K, V]) Set(k K, ts uint64, v V) LWWMap[K, V] {
	if m == nil {
		m = LWWMap[K, V]{}
	}
	m[k] = m[k].Merge(NewLWW(ts, v))
	return m
}

// Keys returns the keys in order.
func (m LWWMap[K, V]) Keys() []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Bool is a flag that, once set, stays set (a grow-only boolean), used for
// deletion marks.
type Bool bool

// Merge returns a || b.
func (a Bool) Merge(b Bool) Bool { return a || b }
