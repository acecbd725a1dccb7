package main

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// capacityUnits are the units "layout assign --capacity" accepts, in
// bytes: decimal K, M, G, T, P (also KB, MB, ...) and binary KiB, MiB,
// GiB, TiB, PiB. Case does not matter.
var capacityUnits = map[string]uint64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
	"t": 1e12, "tb": 1e12, "p": 1e15, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

const capacityUnitList = "K, M, G, T, P (powers of 1000) or KiB, MiB, GiB, TiB, PiB (powers of 1024)"

// parseCapacity parses a size in bytes: "123456", "500G", "1.5T",
// "10GiB", "10 GiB". The result is a whole number of bytes, more than 0.
func parseCapacity(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("%q is not a size: want a number and a unit, like 500G or 1T", s)
	}
	mult, ok := capacityUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (use %s)", s, t[i:], capacityUnitList)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("%q is not a size: %q is not a number", s, num)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).SetUint64(mult)))
	if !r.IsInt() {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	n := r.Num()
	switch {
	case n.Sign() == 0:
		return 0, errors.New("capacity must be more than 0 bytes (use --gateway for a node that stores no data)")
	case !n.IsUint64() || n.Uint64() > math.MaxInt64:
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n.Uint64(), nil
}

// formatSize is n bytes in decimal units, as Garage shows capacities:
// "1 TB", "10.7 GB", "999 B".
func formatSize(n uint64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return fmt.Sprintf("%s %cB", s, "kMGTP"[exp])
}
