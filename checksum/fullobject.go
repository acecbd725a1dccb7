package checksum

import (
	"encoding/base64"
	"encoding/binary"
)

// Checksum types of a multipart upload, as in x-amz-checksum-type.
const (
	// TypeComposite: the checksum of the parts' checksums, with "-N".
	TypeComposite = "COMPOSITE"
	// TypeFullObject: the CRC of the whole object's bytes.
	TypeFullObject = "FULL_OBJECT"
)

// Part is what the multipart checksums need of one part: its checksum
// (base64, as stored) and its size in bytes.
type Part struct {
	Checksum string
	Size     int64
}

// crcSpec is a reflected CRC (CRC32, CRC32C, CRC64NVME: initial value and
// final xor all ones), enough to combine the CRCs of two pieces of data
// into the CRC of their concatenation without reading the data again.
type crcSpec struct {
	width uint   // 32 or 64
	poly  uint64 // reflected polynomial
}

var fullObjectCRCs = map[string]crcSpec{
	CRC32:     {32, 0xedb88320},
	CRC32C:    {32, 0x82f63b78},
	CRC64NVME: {64, 0x9a6c9329ac4bc9b5},
}

// FullObjectAlgorithm reports whether alg (canonical name) can be a
// FULL_OBJECT checksum: only the CRCs combine without the data.
func FullObjectAlgorithm(alg string) bool { _, ok := fullObjectCRCs[alg]; return ok }

// FullObject returns the CRC of the concatenation of parts, computed from
// the parts' CRCs and sizes alone, base64-encoded; "" when alg is not a
// CRC, there are no parts or a part lacks a valid CRC.
func FullObject(alg string, parts []Part) string {
	c, ok := fullObjectCRCs[alg]
	if !ok || len(parts) == 0 {
		return ""
	}
	var sum uint64
	for i, p := range parts {
		v, ok := c.decode(p.Checksum)
		if !ok {
			return ""
		}
		if i == 0 {
			sum = v
		} else {
			sum = c.combine(sum, v, p.Size)
		}
	}
	return c.encode(sum)
}

// Composite is Combine over base64-encoded part checksums, as stored: ""
// when alg is unknown or a part lacks its checksum.
func Composite(alg string, parts []Part) string {
	raw := make([][]byte, 0, len(parts))
	for _, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p.Checksum)
		if err != nil || len(b) == 0 {
			return ""
		}
		raw = append(raw, b)
	}
	return Combine(alg, raw)
}

// mul multiplies two polynomials modulo the CRC's polynomial (reflected
// bit order: the top bit is x^0).
func (c crcSpec) mul(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	m := uint64(1) << (c.width - 1)
	var p uint64
	for {
		if a&m != 0 {
			p ^= b
			if a&(m-1) == 0 {
				return p
			}
		}
		m >>= 1
		if b&1 != 0 {
			b = b>>1 ^ c.poly
		} else {
			b >>= 1
		}
	}
}

// shift is x^(8n) modulo the polynomial: appending n bytes.
func (c crcSpec) shift(n int64) uint64 {
	p := uint64(1) << (c.width - 1)  // x^0
	sq := uint64(1) << (c.width - 2) // x^1
	for range 3 {
		sq = c.mul(sq, sq) // x^8 after three squarings
	}
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			p = c.mul(sq, p)
		}
		sq = c.mul(sq, sq)
	}
	return p
}

// combine is the CRC of A||B from crcA, crcB and the length of B.
func (c crcSpec) combine(crcA, crcB uint64, lenB int64) uint64 {
	return c.mul(c.shift(lenB), crcA) ^ crcB
}

func (c crcSpec) decode(s string) (uint64, bool) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != int(c.width/8) {
		return 0, false
	}
	if c.width == 32 {
		return uint64(binary.BigEndian.Uint32(raw)), true
	}
	return binary.BigEndian.Uint64(raw), true
}

func (c crcSpec) encode(v uint64) string {
	raw := make([]byte, c.width/8)
	if c.width == 32 {
		binary.BigEndian.PutUint32(raw, uint32(v))
	} else {
		binary.BigEndian.PutUint64(raw, v)
	}
	return base64.StdEncoding.EncodeToString(raw)
}
