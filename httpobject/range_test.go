package httpobject

import (
	"errors"
	"testing"
)

func TestParseRange(t *testing.T) {
	cases := []struct {
		h           string
		size        int64
		want        Range
		ok          bool
		unsatisfied bool
	}{
		{"", 10, Range{}, false, false},
		{"bytes=0-4", 10, Range{0, 5}, true, false},
		{"bytes=5-", 10, Range{5, 5}, true, false},
		{"bytes=-3", 10, Range{7, 3}, true, false},
		{"bytes=-30", 10, Range{0, 10}, true, false},
		{"bytes=8-100", 10, Range{8, 2}, true, false},
		{"bytes=9-9", 10, Range{9, 1}, true, false},
		{"bytes=10-", 10, Range{}, false, true},
		{"bytes=10-20", 10, Range{}, false, true},
		{"bytes=-0", 10, Range{}, false, true},
		{"bytes=0-0", 0, Range{}, false, true},
		{"bytes=5-4", 10, Range{}, false, false},
		{"bytes=0-1,3-4", 10, Range{}, false, false},
		{"items=0-1", 10, Range{}, false, false},
		{"bytes=a-b", 10, Range{}, false, false},
		{"bytes=-", 10, Range{}, false, false},
		{"bytes=-1-2", 10, Range{}, false, false},
		{"bytes=99999999999999999999-", 10, Range{}, false, false},
	}
	for _, c := range cases {
		got, ok, err := ParseRange(c.h, c.size)
		if errors.Is(err, ErrUnsatisfiable) != c.unsatisfied || ok != c.ok || got != c.want {
			t.Errorf("ParseRange(%q, %d) = %v, %v, %v; want %v, %v, unsatisfiable=%v", c.h, c.size, got, ok, err, c.want, c.ok, c.unsatisfied)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-4", "bytes=-3", "bytes=5-", "bytes=1-2,3-4", "bytes=--1"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		r, ok, err := ParseRange(h, size)
		if ok && (err != nil || r.Start < 0 || r.Length <= 0 || r.Start+r.Length > size) {
			t.Fatalf("ParseRange(%q, %d) = %+v: outside the object", h, size, r)
		}
	})
}
