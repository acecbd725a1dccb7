package main

import (
	"testing"

	"github.com/garage-web/garage-web/admin"
)

func TestLayoutProgress(t *testing.T) {
	h := admin.LayoutHistory{CurrentVersion: 2, Versions: []admin.LayoutVersion{
		{Version: 2, Status: admin.LayoutVersionCurrent}, {Version: 1, Status: admin.LayoutVersionDraining},
	}, UpdateTrackers: map[string]admin.UpdateTrackers{
		"a": {Ack: 2, Sync: 2, SyncAck: 2}, "b": {Ack: 2, Sync: 1, SyncAck: 1}, "c": {Ack: 1, Sync: 1, SyncAck: 1},
	}}
	p := progressOf(h)
	if p.Done || p.Nodes != 3 || p.Acked != 2 || p.Synced != 1 || p.Reading != 1 {
		t.Fatalf("progress %+v", p)
	}
	if got, want := p.String(), "layout version 2: 2/3 nodes acknowledged, 1/3 synced their new partitions, 1/3 read at it"; got != want {
		t.Fatalf("line %q, want %q", got, want)
	}
	h.UpdateTrackers = nil
	h.Versions[1].Status = admin.LayoutVersionHistorical
	if p := progressOf(h); !p.Done {
		t.Fatalf("finished change reported as %+v", p)
	}
}
