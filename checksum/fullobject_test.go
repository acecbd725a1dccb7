package checksum

import (
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

func sumOf(t *testing.T, alg string, data []byte) string {
	t.Helper()
	h, err := NewHash(alg)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestFullObjectIsCRCOfConcatenation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for alg := range fullObjectCRCs {
		for _, sizes := range [][]int{{1}, {0, 5}, {5 << 20, 5 << 20, 17}, {3, 1, 4, 1, 5, 9, 2, 6}} {
			var all []byte
			var parts []Part
			for _, n := range sizes {
				p := make([]byte, n)
				for j := range p {
					p[j] = byte(rng.Uint32())
				}
				all = append(all, p...)
				parts = append(parts, Part{Checksum: sumOf(t, alg, p), Size: int64(n)})
			}
			if got, want := FullObject(alg, parts), sumOf(t, alg, all); got != want {
				t.Fatalf("%s of parts %v: got %s, want %s", alg, sizes, got, want)
			}
		}
	}
	if got := FullObject(SHA256, []Part{{Size: 1}}); got != "" {
		t.Fatalf("SHA256 full object: %q, want none", got)
	}
	if got := FullObject(CRC32, []Part{{Size: 1}}); got != "" {
		t.Fatalf("part without its CRC: %q, want none", got)
	}
	if FullObjectAlgorithm(SHA1) || !FullObjectAlgorithm(CRC64NVME) {
		t.Fatal("FullObjectAlgorithm")
	}
}

func TestComposite(t *testing.T) {
	a, b := sumOf(t, CRC32, []byte("part one")), sumOf(t, CRC32, []byte("part two"))
	ra, _ := base64.StdEncoding.DecodeString(a)
	rb, _ := base64.StdEncoding.DecodeString(b)
	if got, want := Composite(CRC32, []Part{{Checksum: a}, {Checksum: b}}), Combine(CRC32, [][]byte{ra, rb}); got != want || got == "" {
		t.Fatalf("Composite = %q, want %q", got, want)
	}
	if got := Composite(CRC32, []Part{{Checksum: a}, {}}); got != "" {
		t.Fatalf("Composite with a part lacking its checksum = %q", got)
	}
}
