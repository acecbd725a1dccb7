package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// mustXattrs skips the test when dir's file system has no user extended
// attributes (the store then verifies every read with SHA-256).
func mustXattrs(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, "probe")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p)
	if err := setCheckAttrPath(p, make([]byte, checkRecordSize)); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
}

// blockFile returns the path of h's file (plain or compressed).
func blockFile(t *testing.T, s *BlockStore, h Hash) string {
	t.Helper()
	p := s.path(h)
	for _, c := range []string{p, p + compressedSuffix} {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	t.Fatalf("no file for block %s", h)
	return ""
}

func readRecord(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf [checkRecordSize]byte
	return bytes.Clone(getCheckAttr(f, &buf))
}

// rewriteInPlace replaces the file's bytes keeping its inode (and so its
// extended attributes), as a disk or a stray writer would.
func rewriteInPlace(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCheckRecordWrittenAndTrusted(t *testing.T) {
	ctx := context.Background()
	for _, level := range []int{0, 3} {
		s := mustBlockStore(t, level)
		mustXattrs(t, s.Dir())
		data := bytes.Repeat([]byte("check record "), 8000)
		h, err := s.Write(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		path := blockFile(t, s, h)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if rec := readRecord(t, path); !checkMatches(rec, h, raw) {
			t.Fatalf("level %d: block file has no valid check record (%x)", level, rec)
		}
		// White box: bytes that are not the block but carry a matching
		// record pass the fast check; Verify (scrub) hashes and catches
		// them. This shows which check each path uses.
		other := bytes.Repeat([]byte("something else"), 7000)
		if level > 0 {
			other = s.enc.EncodeAll(other, nil)
		}
		rewriteInPlace(t, path, other)
		if err := setCheckAttrPath(path, encodeCheck(h, other)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(ctx, h); err != nil {
			t.Fatalf("level %d: read with a matching record: %v (the fast path was not taken)", level, err)
		}
		if _, err := s.Verify(h); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("level %d: Verify of a file that is not the block: %v, want ErrCorrupt", level, err)
		}
	}
}

func TestCheckRecordCatchesFlippedBits(t *testing.T) {
	ctx := context.Background()
	for _, level := range []int{0, 3} {
		s := mustBlockStore(t, level)
		mustXattrs(t, s.Dir())
		var corrupted []Hash
		s.OnCorrupt = func(h Hash) { corrupted = append(corrupted, h) }
		data := make([]byte, 1<<20)
		for i := range data {
			data[i] = byte(i * 7 / 5)
		}
		h, err := s.Write(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		path := blockFile(t, s, h)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Every bit of a few positions, each flipped alone.
		for _, pos := range []int{0, 1, len(good) / 2, len(good) - 1} {
			for bit := 0; bit < 8; bit++ {
				bad := bytes.Clone(good)
				bad[pos] ^= 1 << bit
				rewriteInPlace(t, path, bad)
				if got, err := s.Read(ctx, h); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("level %d: byte %d bit %d flipped: read %d bytes, err %v; want ErrCorrupt", level, pos, bit, len(got), err)
				}
			}
		}
		// A truncated file and an extended one are corrupt too.
		for _, bad := range [][]byte{good[:len(good)-1], append(bytes.Clone(good), 0)} {
			rewriteInPlace(t, path, bad)
			if _, err := s.Read(ctx, h); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("level %d: file of %d bytes (want %d): err %v, want ErrCorrupt", level, len(bad), len(good), err)
			}
		}
		if len(corrupted) != 34 {
			t.Fatalf("level %d: OnCorrupt called %d times, want 34", level, len(corrupted))
		}
		rewriteInPlace(t, path, good)
		if got, err := s.Read(ctx, h); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("level %d: restored file: %d bytes, err %v", level, len(got), err)
		}
	}
}

// A file without a record (written before records existed) or with the
// record of another block is hashed; once it passes it gets a record.
func TestCheckRecordMissingOrForeign(t *testing.T) {
	ctx := context.Background()
	s := mustBlockStore(t, 0)
	mustXattrs(t, s.Dir())
	a := bytes.Repeat([]byte{1, 2, 3}, 100000)
	b := bytes.Repeat([]byte{4, 5, 6}, 100000)
	ha, err := s.Write(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := s.Write(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := blockFile(t, s, ha), blockFile(t, s, hb)

	// Legacy file: no record. Reads hash it and succeed.
	legacy := filepath.Join(filepath.Dir(pa), ".legacy")
	if err := os.WriteFile(legacy, a, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(legacy, pa); err != nil {
		t.Fatal(err)
	}
	if rec := readRecord(t, pa); rec != nil {
		t.Fatalf("legacy file has a record %x", rec)
	}
	if got, err := s.Read(ctx, ha); err != nil || !bytes.Equal(got, a) {
		t.Fatalf("legacy read: %d bytes, err %v", len(got), err)
	}
	if rec := readRecord(t, pa); !checkMatches(rec, ha, a) {
		t.Fatalf("a hashed read did not give the legacy file a record (%x)", rec)
	}
	// Same for Verify (scrub), which hashes whatever the record says.
	if err := os.Remove(pa); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pa, a, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ha); err != nil {
		t.Fatal(err)
	}
	if rec := readRecord(t, pa); !checkMatches(rec, ha, a) {
		t.Fatalf("Verify did not give the legacy file a record (%x)", rec)
	}

	// b's bytes and record copied under a's name: the record names
	// another block, so the read hashes and refuses the file.
	rewriteInPlace(t, pa, b)
	if err := setCheckAttrPath(pa, readRecord(t, pb)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, ha); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("file of another block under a's name: err %v, want ErrCorrupt", err)
	}
	// Scrub moves it aside and gives no record to a corrupt file.
	if checked, bad, err := s.Scrub(ctx, nil); err != nil || checked != 2 || bad != 1 {
		t.Fatalf("scrub: checked %d corrupted %d err %v", checked, bad, err)
	}
}

func TestCheckRecordEncoding(t *testing.T) {
	h := HashOf([]byte("x"))
	b := []byte("file bytes")
	rec := encodeCheck(h, b)
	if len(rec) != checkRecordSize || !checkMatches(rec, h, b) {
		t.Fatalf("record %x does not match its own file", rec)
	}
	for _, tc := range []struct {
		name string
		rec  []byte
		h    Hash
		b    []byte
	}{
		{"short record", rec[:checkRecordSize-1], h, b},
		{"other version", append([]byte{2}, rec[1:]...), h, b},
		{"other block", rec, HashOf([]byte("y")), b},
		{"other size", rec, h, b[:len(b)-1]},
		{"other bytes", rec, h, []byte("file bytez")},
		{"no record", nil, h, b},
	} {
		if checkMatches(tc.rec, tc.h, tc.b) {
			t.Errorf("%s: matches", tc.name)
		}
	}
}
