package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/minio/crc64nvme"
)

// Algorithm names, as in x-amz-checksum-algorithm and (lower-cased) in the
// x-amz-checksum-<alg> header names.
const (
	CRC32     = "CRC32"
	CRC32C    = "CRC32C"
	CRC64NVME = "CRC64NVME"
	SHA1      = "SHA1"
	SHA256    = "SHA256"
)

// Algorithms returns the supported algorithm names.
func Algorithms() []string { return []string{CRC32, CRC32C, CRC64NVME, SHA1, SHA256} }

// Parse returns the canonical name of an algorithm given in any case, and
// whether it is supported.
func Parse(name string) (string, bool) {
	alg := strings.ToUpper(strings.TrimSpace(name))
	switch alg {
	case CRC32, CRC32C, CRC64NVME, SHA1, SHA256:
		return alg, true
	}
	return "", false
}

// NewHash returns a new hash for an algorithm name (canonical or any case).
func NewHash(alg string) (hash.Hash, error) {
	name, _ := Parse(alg)
	switch name {
	case CRC32:
		return crc32.NewIEEE(), nil
	case CRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), nil
	case CRC64NVME:
		return crc64nvme.New(), nil
	case SHA1:
		return sha1.New(), nil
	case SHA256:
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("checksum: unsupported algorithm %q", alg)
}

// Size returns the digest length in bytes of an algorithm, 0 if unknown.
func Size(alg string) int {
	name, _ := Parse(alg)
	switch name {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

// Header returns the header that carries an algorithm's checksum, such as
// "x-amz-checksum-crc32", or "" for an unknown algorithm.
func Header(alg string) string {
	name, ok := Parse(alg)
	if !ok {
		return ""
	}
	return "x-amz-checksum-" + strings.ToLower(name)
}

// Combine returns the composite checksum of a multipart object: the
// checksum of the concatenated raw part checksums, base64-encoded, with a
// "-N" suffix giving the number of parts. It returns "" for an unknown
// algorithm.
func Combine(alg string, parts [][]byte) string {
	h, err := NewHash(alg)
	if err != nil {
		return ""
	}
	for _, p := range parts {
		h.Write(p)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}
