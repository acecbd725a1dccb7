package cluster

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// capacityUnits maps unit suffixes (lower case) to their size in bytes.
// Single letters and "xB" are decimal (SI), as in Garage: 1T = 1TB =
// 10^12 bytes. "xiB" (and "xi") are binary: 1TiB = 2^40 bytes.
var capacityUnits = map[string]uint64{
	"":  1,
	"b": 1,
	"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "ti": 1 << 40, "tib": 1 << 40,
	"p": 1e15, "pb": 1e15, "pi": 1 << 50, "pib": 1 << 50,
	"e": 1e18, "eb": 1e18, "ei": 1 << 60, "eib": 1 << 60,
}

// ParseCapacity reads a capacity in bytes: a plain number of bytes
// ("500000000000"), or a number with a unit, decimal ("1T", "500G",
// "10GB", "1.5T": powers of 1000) or binary ("1TiB", "512Mi": powers of
// 1024). Units are case-insensitive; a space before the unit is allowed.
// The result must be positive and fit in 64 bits.
func ParseCapacity(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("%w %q: want a number of bytes or a number with a unit such as 500G, 1T or 1TiB", ErrInvalidCapacity, s)
	}
	mult, ok := capacityUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit %q (K, M, G, T, P, E or KB, MB, ... for powers of 1000; Ki, Mi, ... or KiB, MiB, ... for powers of 1024)", ErrInvalidCapacity, s, t[i:])
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%w %q: %q is not a number", ErrInvalidCapacity, s, num)
	}
	r.Mul(r, new(big.Rat).SetUint64(mult))
	if !r.IsInt() {
		// 1.5K of bytes is fine, 1.0001K is not a whole number of bytes:
		// round down rather than refuse.
		q := new(big.Int).Quo(r.Num(), r.Denom())
		r.SetInt(q)
	}
	n := r.Num()
	if !n.IsUint64() {
		return 0, fmt.Errorf("%w %q: larger than %d bytes", ErrInvalidCapacity, s, uint64(math.MaxUint64))
	}
	if n.Sign() == 0 {
		return 0, fmt.Errorf("%w %q: must be more than zero (use a gateway role for a node that stores nothing)", ErrInvalidCapacity, s)
	}
	return n.Uint64(), nil
}

// FormatCapacity writes a number of bytes with a decimal unit, three
// significant digits: "1.00 TB", "500 GB", "12.3 MB", "999 B". It is what
// ParseCapacity reads back (approximately, for non-round values).
func FormatCapacity(b uint64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB", "EB"}
	if b < 1000 {
		return strconv.FormatUint(b, 10) + " B"
	}
	v := float64(b)
	u := 0
	for v >= 999.5 && u < len(units)-1 {
		v /= 1000
		u++
	}
	switch {
	case v >= 99.95:
		return fmt.Sprintf("%.0f %s", v, units[u])
	case v >= 9.995:
		return fmt.Sprintf("%.1f %s", v, units[u])
	default:
		return fmt.Sprintf("%.2f %s", v, units[u])
	}
}
