package blockrepl

import (
	"crypto/sha256"

	"github.com/garage-web/garage-web/storage"
)

// Partition returns the partition (0..255) a block belongs to: the first
// byte of the SHA-256 of the 32 bytes of its hash. It equals
// table.HashPartitionKey(h[:]).Partition(), the partition of a table entry
// whose partition key is the block hash.
func Partition(h storage.Hash) uint8 {
	sum := sha256.Sum256(h[:])
	return sum[0]
}
