package blockrepl_test

import (
	"testing"

	"github.com/garage-web/garage-web/blockrepl"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// The block's partition is the partition of a table entry keyed by the
// block hash. (This external test imports table only to check that;
// blockrepl itself does not.)
func TestPartitionMatchesTable(t *testing.T) {
	for i := range 1000 {
		h := storage.HashOf([]byte{byte(i), byte(i >> 8)})
		if got, want := blockrepl.Partition(h), table.HashPartitionKey(h[:]).Partition(); got != want {
			t.Fatalf("Partition(%s) = %d, table says %d", h, got, want)
		}
	}
	// A fixed vector: the empty block's hash is e3b0c442…, and the
	// SHA-256 of those 32 bytes starts with 0x5d.
	if got := blockrepl.Partition(storage.HashOf(nil)); got != 0x5d {
		t.Fatalf("Partition(hash of the empty block) = %#x, want 0x5d", got)
	}
}
