package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ByteSize is a number of bytes. In TOML and in the environment it is an
// integer or a string with a unit: "1048576", "1MiB", "512 KiB", "4M".
// As in Garage, K/KB, M/MB, G/GB are powers of 1000 and KiB, MiB, GiB
// (or Ki, Mi, Gi) powers of 1024. Units are case-insensitive.
type ByteSize int64

// Set parses s; it lets the environment set a ByteSize.
func (b *ByteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b = n
	return nil
}

// UnmarshalTOML accepts an integer or a string with a unit.
func (b *ByteSize) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		*b = ByteSize(v)
		return nil
	case string:
		return b.Set(v)
	}
	return fmt.Errorf("must be an integer or a string such as \"1MiB\", not %T", v)
}

var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
}

func parseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	mult, ok := byteUnits[strings.ToLower(strings.TrimSpace(s[i:]))]
	if i == 0 || !ok {
		return 0, fmt.Errorf("%q is not a size such as 1048576 or \"1MiB\"", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return ByteSize(n * mult), nil
}

// Duration is a length of time. In TOML and in the environment it is a
// string in Go's syntax ("90s", "10m", "24h", "1h30m") or a number of
// seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Set parses s; it lets the environment set a Duration.
func (d *Duration) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/int64(time.Second) {
			return fmt.Errorf("%q is out of range", s)
		}
		*d = Duration(time.Duration(n) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"90s\", \"10m\" or \"24h\"", s)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalTOML accepts a string such as "10m" or a number of seconds.
func (d *Duration) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		return d.Set(strconv.FormatInt(v, 10))
	case string:
		return d.Set(v)
	}
	return fmt.Errorf("must be a string such as \"10m\" or a number of seconds, not %T", v)
}

// String formats d in Go's syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// CompressionLevel is the zstd level of stored blocks: 0 for none, 1..19.
// In TOML and in the environment it may also be the string "none".
type CompressionLevel int

// Set parses s; it lets the environment set a CompressionLevel.
func (l *CompressionLevel) Set(s string) error {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "none") {
		*l = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not an integer or \"none\"", s)
	}
	*l = CompressionLevel(n)
	return nil
}

// UnmarshalTOML accepts an integer or "none".
func (l *CompressionLevel) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return fmt.Errorf("%d is out of range", v)
		}
		*l = CompressionLevel(v)
		return nil
	case string:
		return l.Set(v)
	}
	return fmt.Errorf("must be an integer or \"none\", not %T", v)
}
