package cluster

import (
	"errors"
	"testing"
)

func TestParseCapacity(t *testing.T) {
	for in, want := range map[string]uint64{
		"1":        1,
		"1000000":  1e6,
		"1T":       1e12,
		"1t":       1e12,
		"500G":     500e9,
		"10GB":     10e9,
		"10 GB":    10e9,
		"1TiB":     1 << 40,
		"512Mi":    512 << 20,
		"1.5T":     15e11,
		"0.5KiB":   512,
		"1.0001K":  1000, // rounded down to whole bytes
		"16EiB":    0,    // overflow, checked below
		" 2P ":     2e15,
		"100B":     100,
		"3kb":      3000,
		"18EB":     18e18,
		"1.25 tib": 5 << 38,
	} {
		got, err := ParseCapacity(in)
		if want == 0 {
			if !errors.Is(err, ErrInvalidCapacity) {
				t.Errorf("%q: err = %v, want overflow", in, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "T", "1X", "1 TT", "-1G", "0", "0G", "1e3", "1..2G", "abc"} {
		if _, err := ParseCapacity(in); !errors.Is(err, ErrInvalidCapacity) {
			t.Errorf("%q: err = %v, want ErrInvalidCapacity", in, err)
		}
	}
}

func TestFormatCapacity(t *testing.T) {
	for in, want := range map[uint64]string{
		0:         "0 B",
		999:       "999 B",
		1000:      "1.00 KB",
		1e12:      "1.00 TB",
		500e9:     "500 GB",
		12345678:  "12.3 MB",
		999600:    "1.00 MB",
		1 << 40:   "1.10 TB",
		18e18:     "18.0 EB",
		123456789: "123 MB",
	} {
		if got := FormatCapacity(in); got != want {
			t.Errorf("FormatCapacity(%d) = %q, want %q", in, got, want)
		}
		if in > 0 {
			back, err := ParseCapacity(FormatCapacity(in))
			if err != nil || float64(back) < float64(in)*0.99 || float64(back) > float64(in)*1.01 {
				t.Errorf("%d → %q → %d, %v", in, FormatCapacity(in), back, err)
			}
		}
	}
}
