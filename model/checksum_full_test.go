package model

import (
	"encoding/base64"
	"errors"
	"hash"
	"math/rand/v2"
	"testing"
)

func crcOf(t *testing.T, alg string, data []byte) string {
	t.Helper()
	var h hash.Hash = newHash(alg)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestFullObjectChecksumIsCRCOfConcatenation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for alg := range fullObjectCRCs {
		for _, sizes := range [][]int{{1}, {0, 5}, {5 << 20, 5 << 20, 17}, {3, 1, 4, 1, 5, 9, 2, 6}} {
			var all []byte
			var parts []PartRef
			for i, n := range sizes {
				p := make([]byte, n)
				for j := range p {
					p[j] = byte(rng.Uint32())
				}
				all = append(all, p...)
				parts = append(parts, PartRef{Number: i + 1, Size: int64(n), Checksums: map[string]string{alg: crcOf(t, alg, p)}})
			}
			if got, want := fullObjectChecksum(alg, parts), crcOf(t, alg, all); got != want {
				t.Fatalf("%s of parts %v: got %s, want %s", alg, sizes, got, want)
			}
		}
	}
	if got := fullObjectChecksum("SHA256", []PartRef{{Size: 1}}); got != "" {
		t.Fatalf("SHA256 full object: %q, want none", got)
	}
	if got := fullObjectChecksum("CRC32", []PartRef{{Size: 1}}); got != "" {
		t.Fatalf("part without its CRC: %q, want none", got)
	}
}

func TestCheckWholeChecksums(t *testing.T) {
	comp := &ObjectMeta{Checksums: map[string]string{"CRC32": "AAAAAA==-2"}, ChecksumType: ChecksumComposite}
	full := &ObjectMeta{Checksums: map[string]string{"CRC32": "AAAAAA=="}, ChecksumType: ChecksumFullObject}
	for _, c := range []struct {
		want map[string]string
		meta *ObjectMeta
		ok   bool
	}{
		{nil, &ObjectMeta{}, true},
		{map[string]string{"CRC32": "AAAAAA==-2"}, comp, true},
		{map[string]string{"CRC32": "AAAAAA=="}, comp, true},
		{map[string]string{"CRC32": "AAAAAA=="}, full, true},
		{map[string]string{"CRC32": "AAAAAB=="}, full, false},
		{map[string]string{"CRC32C": "AAAAAA=="}, full, false},
		{map[string]string{"CRC32": "AAAAAA=="}, &ObjectMeta{}, false},
	} {
		err := checkWholeChecksums(c.want, c.meta)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrBadDigest)) {
			t.Errorf("want %v meta %+v: err %v, ok want %v", c.want, c.meta, err, c.ok)
		}
	}
}
