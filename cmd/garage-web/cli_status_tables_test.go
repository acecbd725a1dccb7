package main

import (
	"strings"
	"testing"

	"github.com/garage-web/garage-web/admin"
)

func TestWriteTableStatus(t *testing.T) {
	var b strings.Builder
	leased := 200
	writeTableStatus(&b, admin.NodeTableStatus{
		LayoutVersion: 3, ReadVersion: 2, WriteVersions: []uint64{2, 3}, SyncRunning: true, PassDone: 10, PassTotal: 256, ReadLeasePartitions: &leased,
		Tables: []admin.TableState{{Name: "objects", Entries: 42, PartitionsInSync: 250, PartitionsOutOfSync: 6, EntriesSent: 7, EntriesReceived: 9}},
	})
	out := b.String()
	for _, want := range []string{
		"Layout version 3; this node reads at version 2 and writes at 2 and 3.",
		"Anti-entropy pass running: 10 of 256 partitions done.",
		"Read leases: 200 of 256 partitions are read from this node's copy.",
		"TABLE    ENTRIES  IN SYNC  OUT OF SYNC  SENT  RECEIVED",
		"objects  42       250      6            7     9",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
