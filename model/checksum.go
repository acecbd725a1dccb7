package model

import "github.com/garage-web/garage-web/checksum"

// checksumParts lists the parts' stored alg checksums and sizes.
func checksumParts(alg string, parts []PartRef) []checksum.Part {
	out := make([]checksum.Part, len(parts))
	for i, p := range parts {
		out[i] = checksum.Part{Checksum: p.Checksums[alg], Size: p.Size}
	}
	return out
}

// combineChecksums returns the composite checksum of a multipart object:
// the checksum of the parts' binary checksums, then "-" and the part
// count. It returns "" when some part lacks the checksum.
func combineChecksums(alg string, parts []PartRef) string {
	return checksum.Composite(alg, checksumParts(alg, parts))
}

// fullObjectChecksum returns the CRC of the whole object made of parts,
// from the parts' CRCs and sizes, or "" when a part lacks its CRC.
func fullObjectChecksum(alg string, parts []PartRef) string {
	return checksum.FullObject(alg, checksumParts(alg, parts))
}
