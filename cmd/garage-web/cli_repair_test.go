package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
)

func TestParseRepair(t *testing.T) {
	tests := []struct {
		args []string
		cmd  string
		opts options
	}{
		{[]string{"repair", "blocks", "--yes"}, "repair blocks", options{}},
		{[]string{"--json", "repair", "scrub", "--yes", "--wait"}, "repair scrub", options{json: true}},
		{[]string{"repair", "tables"}, "repair tables", options{}},
		{[]string{"repair", "status", "--json"}, "repair status", options{json: true}},
	}
	for _, tt := range tests {
		inv, err := parse(tt.args)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if inv.cmd.name != tt.cmd || len(inv.args) != 0 || inv.opts != tt.opts {
			t.Errorf("%q: got %q %q %+v", tt.args, inv.cmd.name, inv.args, inv.opts)
		}
	}
	for _, args := range [][]string{{"repair"}, {"repair", "frob"}, {"repair", "blocks", "extra"}, {"repair", "status", "--yes"}} {
		if _, err := parse(args); err == nil {
			t.Errorf("%q parsed", args)
		}
	}
}

// repairBackend finishes every repair at once.
type repairBackend struct {
	*admintest.Backend
	mu       sync.Mutex
	launched []string
}

func (b *repairBackend) LaunchRepair(_ context.Context, kind string) (admin.RepairOperation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.launched = append(b.launched, kind)
	return admin.RepairOperation{RepairType: kind, State: admin.RepairRunning}, nil
}

func (b *repairBackend) RepairStatus(context.Context) (admin.RepairStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	end := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st := admin.RepairStatus{NodeID: admintest.SelfID, Blocks: admin.BlockRepairStatus{ResyncQueueLength: 2, CorruptedRepaired: 1, LastScrub: &end}}
	for _, k := range []string{admin.RepairBlocks, admin.RepairTables, admin.RepairScrub} {
		op := admin.RepairOperation{RepairType: k, State: admin.RepairIdle}
		if slices.Contains(b.launched, k) {
			op = admin.RepairOperation{RepairType: k, State: admin.RepairDone, StartedAt: &end, FinishedAt: &end, Result: "3 blocks checked"}
		}
		st.Operations = append(st.Operations, op)
	}
	return st, nil
}

func mustRepairHarness(t *testing.T) (*harness, *repairBackend) {
	t.Helper()
	b := &repairBackend{Backend: admintest.New()}
	s, err := admin.NewServer(admin.Options{Backend: b, AdminToken: cliToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &harness{backend: b.Backend, srv: srv, env: map[string]string{}}, b
}

func TestRepairCommands(t *testing.T) {
	h, b := mustRepairHarness(t)
	r := h.run(t, "repair", "scrub")
	if r.code != 2 || !strings.Contains(r.stderr, "re-read every block") || !strings.Contains(r.stderr, "Add --yes") || len(b.launched) != 0 {
		t.Fatalf("repair without --yes: %d %q, launched %v", r.code, r.stderr, b.launched)
	}
	if out := h.mustRun(t, "repair", "scrub", "--yes"); !strings.Contains(out, "Repair scrub started") {
		t.Fatalf("repair scrub: %q", out)
	}
	if out := h.mustRun(t, "repair", "blocks", "--yes", "--wait"); !strings.Contains(out, "Repair blocks done: 3 blocks checked") {
		t.Fatalf("repair blocks --wait: %q", out)
	}
	out := h.mustRun(t, "repair", "status")
	for _, want := range []string{"REPAIR", "blocks  done", "tables  idle", "Resync queue:", "2 blocks", "Corrupted repaired: 1", "2026-12-01 10:00:00 UTC"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	var st admin.RepairStatus
	if err := json.Unmarshal([]byte(h.mustRun(t, "repair", "status", "--json")), &st); err != nil || st.Blocks.ResyncQueueLength != 2 || len(st.Operations) != 3 {
		t.Fatalf("status --json: %+v, %v", st, err)
	}
}

func TestRepairNotAvailable(t *testing.T) {
	h := mustHarness(t)
	r := h.run(t, "repair", "tables", "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "no repair operations") {
		t.Fatalf("repair on a backend without repairs: %d %q", r.code, r.stderr)
	}
}
