package main

import (
	"strings"
	"testing"
)

func TestParseCapacity(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  string // substring of the error
	}{
		{"123456", 123456, ""},
		{"1T", 1e12, ""},
		{"1t", 1e12, ""},
		{"1TB", 1e12, ""},
		{"500G", 500e9, ""},
		{"500 GB", 500e9, ""},
		{"10GiB", 10 << 30, ""},
		{"10gib", 10 << 30, ""},
		{"1KiB", 1024, ""},
		{"3K", 3000, ""},
		{"2M", 2e6, ""},
		{"1.5T", 1.5e12, ""},
		{"1.5KiB", 1536, ""},
		{"2P", 2e15, ""},
		{" 7 ", 7, ""},
		{"", 0, "not a size"},
		{"G", 0, "not a size"},
		{"1X", 0, `unknown unit "X"`},
		{"1 GIBS", 0, "unknown unit"},
		{"1.2.3G", 0, "not a number"},
		{"1.0001K", 0, "not a whole number of bytes"},
		{"0", 0, "more than 0 bytes"},
		{"0T", 0, "more than 0 bytes"},
		{"-1G", 0, "not a size"},
		{"99999999P", 0, "too large"},
	}
	for _, tt := range tests {
		got, err := parseCapacity(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseCapacity(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseCapacity(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"}, {999, "999 B"}, {1000, "1 kB"}, {1500, "1.5 kB"},
		{1e12, "1 TB"}, {10 << 30, "10.7 GB"}, {500e9, "500 GB"}, {3e15, "3 PB"}, {4e18, "4000 PB"},
	}
	for _, tt := range tests {
		if got := formatSize(tt.n); got != tt.want {
			t.Errorf("formatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
