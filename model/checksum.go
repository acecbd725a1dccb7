package model

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
)

// crc64NVME is the CRC-64/NVME table (reflected polynomial).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func newHash(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		return crc64.New(crc64NVME)
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	}
	return nil
}

// combineChecksums returns the composite checksum of a multipart object:
// the checksum of the parts' binary checksums, then "-" and the part
// count. It returns "" when some part lacks the checksum.
func combineChecksums(alg string, parts []PartRef) string {
	h := newHash(alg)
	if h == nil {
		return ""
	}
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Checksums[alg])
		if err != nil || len(raw) == 0 {
			return ""
		}
		h.Write(raw)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts))
}
