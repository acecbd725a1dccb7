package storage

import (
	"encoding/binary"
	"hash/crc32"
)

// A block file written by this store carries a fast checksum of its bytes
// in an extended attribute (checkAttr). A read whose file still matches
// that record is served after a CRC-32C pass (hardware-accelerated, tens
// of GB/s) instead of a SHA-256 of the plaintext; a file without the
// record (written before it existed, or on a file system without user
// extended attributes), with a record for another block or whose bytes do
// not match it, is checked against its SHA-256 as before, and gets a
// record once it passed. Scrub (Verify) always re-hashes with SHA-256.
//
// CRC-32C detects every error burst of up to 32 bits (so every flipped
// bit or byte) and misses a random corruption with probability 2^-32; the
// record also names the block (its hash's first bytes) and the file's
// size, so a file copied or renamed under another block's name does not
// pass. The record is written into the temporary file before its fsync
// and rename, so it is durable with the bytes it describes.
const checkAttr = "user.garageweb.check"

// checkRecord is the content of checkAttr: format version (1 byte),
// 3 reserved bytes, CRC-32C of the file's bytes (4, big endian), file size
// (8), first 8 bytes of the block hash.
const checkRecordSize = 24

const checkRecordVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileChecksum returns the CRC-32C of a block file's bytes.
func fileChecksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// encodeCheck returns the check record of a file holding payload for h.
func encodeCheck(h Hash, payload []byte) []byte {
	rec := make([]byte, checkRecordSize)
	rec[0] = checkRecordVersion
	binary.BigEndian.PutUint32(rec[4:8], fileChecksum(payload))
	binary.BigEndian.PutUint64(rec[8:16], uint64(len(payload)))
	copy(rec[16:24], h[:8])
	return rec
}

// checkMatches reports whether rec is a record for block h whose size and
// checksum match the file bytes b.
func checkMatches(rec []byte, h Hash, b []byte) bool {
	if len(rec) != checkRecordSize || rec[0] != checkRecordVersion {
		return false
	}
	if binary.BigEndian.Uint64(rec[8:16]) != uint64(len(b)) || [8]byte(rec[16:24]) != [8]byte(h[:8]) {
		return false
	}
	return binary.BigEndian.Uint32(rec[4:8]) == fileChecksum(b)
}
