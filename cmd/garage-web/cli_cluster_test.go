package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
)

var (
	idB2 = strings.Repeat("b2", 32)
	idB3 = strings.Repeat("b3", 32) // shares the prefix "b" with idB2
	idC3 = strings.Repeat("c3", 32)
	idD4 = strings.Repeat("d4", 32)
)

// mustCluster is a harness whose fake cluster knows five nodes; d4 is
// down.
func mustCluster(t testing.TB) *harness {
	t.Helper()
	h := mustHarness(t)
	stored := uint64(123456789)
	h.backend.AddNode(admintest.Node{ID: idB2, Addr: "10.0.0.2:3901", Hostname: "node2", IsUp: true, StoredBytes: &stored})
	h.backend.AddNode(admintest.Node{ID: idB3, Addr: "10.0.0.3:3901", Hostname: "node3", IsUp: true, CatchingUp: true})
	h.backend.AddNode(admintest.Node{ID: idC3, Addr: "10.0.1.3:3901", Hostname: "gw", IsUp: true})
	h.backend.AddNode(admintest.Node{ID: idD4, Addr: "10.0.0.4:3901", Hostname: "node4", LastSeenSecsAgo: 300})
	return h
}

func TestClusterCLIGolden(t *testing.T) {
	h := mustCluster(t)
	golden(t, "status_new.golden", h.mustRun(t, "status"))
	h.mustRun(t, "layout", "assign", "-z", "dc1", "--capacity", "1T", "a1")
	h.mustRun(t, "layout", "assign", "-z", "dc2", "--capacity", "500G", "--tag", "fast", "--tag", "ssd", "b2")
	h.mustRun(t, "layout", "assign", "-z", "dc3", "--gateway", "c3")
	golden(t, "layout_show_unsatisfiable.golden", h.mustRun(t, "layout", "show"))
	golden(t, "layout_assign.golden", h.mustRun(t, "layout", "assign", "--zone", "dc3", "--capacity", "10GiB", "b3"))
	golden(t, "layout_show_staged.golden", h.mustRun(t, "layout", "show"))
	golden(t, "layout_apply.golden", h.mustRun(t, "layout", "apply", "--version", "1"))
	golden(t, "status.golden", h.mustRun(t, "status"))
	h.mustRun(t, "layout", "remove", "c3")
	h.mustRun(t, "layout", "config", "-r", "2")
	golden(t, "layout_show_remove.golden", h.mustRun(t, "layout", "show"))
	h.mustRun(t, "layout", "apply", "--version", "2")
	golden(t, "layout_history.golden", h.mustRun(t, "layout", "history"))
}

func TestClusterCLIJSON(t *testing.T) {
	h := mustCluster(t)
	decode := func(args []string, v any) {
		t.Helper()
		out := h.mustRun(t, append(args, "--json")...)
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%q: not JSON: %v\n%s", args, err, out)
		}
	}
	var st admin.ClusterStatus
	decode([]string{"status"}, &st)
	if len(st.Nodes) != 5 || st.Nodes[0].ID != admintest.SelfID {
		t.Errorf("status: %+v", st)
	}
	var l admin.ClusterLayout
	decode([]string{"layout", "assign", "-z", "dc1", "--capacity", "10GiB", "a1", "b2", "c3"}, &l)
	if len(l.StagedRoleChanges) != 3 || *l.StagedRoleChanges[0].Capacity != 10<<30 {
		t.Errorf("assign: %+v", l)
	}
	decode([]string{"layout", "show"}, &l)
	if len(l.StagedRoleChanges) != 3 || l.Version != 0 {
		t.Errorf("show: %+v", l)
	}
	var res admin.ApplyLayoutResult
	decode([]string{"layout", "apply", "--version", "1"}, &res)
	if res.Layout.Version != 1 || res.PartitionsMoved != 768 || len(res.Message) == 0 {
		t.Errorf("apply: %+v", res)
	}
	decode([]string{"layout", "remove", "c3"}, &l)
	if len(l.StagedRoleChanges) != 1 || !l.StagedRoleChanges[0].Remove {
		t.Errorf("remove: %+v", l)
	}
	decode([]string{"layout", "config", "-r", "1"}, &l)
	if l.StagedParameters == nil || l.StagedParameters.ReplicationFactor != 1 {
		t.Errorf("config: %+v", l)
	}
	decode([]string{"layout", "revert"}, &l)
	if l.HasStagedChanges() {
		t.Errorf("revert: %+v", l)
	}
	var hist admin.LayoutHistory
	decode([]string{"layout", "history"}, &hist)
	if hist.CurrentVersion != 1 || len(hist.Versions) != 1 {
		t.Errorf("history: %+v", hist)
	}
	var cr []admin.ConnectResult
	decode([]string{"node", "connect", idD4 + "@10.0.0.4:3901"}, &cr)
	if len(cr) != 1 || !cr[0].Success {
		t.Errorf("connect: %+v", cr)
	}
	var info admin.NodeInfo
	decode([]string{"node", "id"}, &info)
	if info.Zone != "dc1" || info.Gateway {
		t.Errorf("node id: %+v", info)
	}
}

func TestClusterCLICommands(t *testing.T) {
	h := mustCluster(t)
	unknown := strings.Repeat("ee", 32)
	tests := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // prefix of stderr; "" for none
	}{
		{[]string{"layout", "show"}, 0, "No node has a role yet.", ""},
		{[]string{"layout", "history"}, 0, "No layout applied yet.", ""},
		{[]string{"layout", "revert"}, 0, "No staged changes to discard; the layout stays at version 0.", ""},
		{[]string{"layout", "assign", "a1"}, 2, "", "garage-web: layout assign: node a1a1a1a1a1a1a1a1 has no role yet: give its zone with -z ZONE\nRun 'garage-web help layout assign' for usage.\n"},
		{[]string{"layout", "assign", "-z", "dc1", "a1"}, 2, "", "garage-web: layout assign: node a1a1a1a1a1a1a1a1 has no role yet: give --capacity SIZE, or --gateway\n"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1X", "a1"}, 2, "", `garage-web: layout assign: invalid value "1X" for flag -capacity: "1X": unknown unit "X"`},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "0", "a1"}, 2, "", "garage-web: layout assign: invalid value \"0\" for flag -capacity: capacity must be more than 0 bytes (use --gateway"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", "--gateway", "a1"}, 2, "", "garage-web: layout assign: --capacity and --gateway cannot be used together\n"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T"}, 2, "", "garage-web: layout assign: missing NODE\n"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", "b"}, 1, "", "garage-web: node id \"b\" matches 2 nodes (b2b2b2b2b2b2b2b2, b3b3b3b3b3b3b3b3): give more characters\n"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", "f"}, 1, "", "garage-web: no node has an id starting with \"f\": 'garage-web status' lists the nodes"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", "node2"}, 1, "", "garage-web: \"node2\" is not a node id"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", unknown}, 1, "", "garage-web: no node " + unknown + " in the cluster: connect to it first"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", "--tag", "x", "A1A1"}, 0, "Staged for node a1a1a1a1a1a1a1a1: zone dc1, capacity 1 TB, tags x.\nReview with 'garage-web layout show', apply with 'garage-web layout apply --version 1'.\n", ""},
		// A second assign keeps what it does not change.
		{[]string{"layout", "assign", "--capacity", "2T", "a1"}, 0, "Staged for node a1a1a1a1a1a1a1a1: zone dc1, capacity 2 TB, tags x.", ""},
		{[]string{"layout", "assign", "-z", "dc2", "a1"}, 0, "zone dc2, capacity 2 TB, tags x.", ""},
		{[]string{"layout", "assign", "--gateway", "a1"}, 0, "zone dc2, gateway, tags x.", ""},
		{[]string{"status"}, 0, "1 staged role change: review with 'garage-web layout show', apply with 'garage-web layout apply --version 1'.", ""},
		{[]string{"layout", "show"}, 0, "The staged changes cannot be applied: replication factor 3 needs at least 3 storage nodes, the new layout would have 0", ""},
		{[]string{"layout", "apply"}, 2, "", "garage-web: layout apply: missing --version N; to apply the staged changes run 'garage-web layout apply --version 1'\n"},
		{[]string{"layout", "apply", "--version", "1"}, 1, "", "garage-web: replication factor 3 needs at least 3 storage nodes"},
		{[]string{"layout", "config"}, 2, "", "garage-web: layout config: nothing to change: give -r N\n"},
		{[]string{"layout", "config", "-r", "4"}, 1, "", "garage-web: replicationFactor 4: must be 1 to 3\n"},
		{[]string{"layout", "config", "-r", "3"}, 0, "The replication factor is already 3; nothing staged.", ""},
		{[]string{"layout", "config", "--replication-factor", "1"}, 0, "Staged replication factor 1 (now 3).", ""},
		{[]string{"layout", "show"}, 0, "Replication factor: 3 -> 1", ""},
		{[]string{"layout", "apply", "--version", "2"}, 1, "", "garage-web: cannot apply layout version 2: the current version is 0, so the next one is 1\n"},
		{[]string{"layout", "revert"}, 0, "Discarded 1 staged role change and replication factor 1 staged; the layout stays at version 0.\n", ""},
		{[]string{"layout", "apply"}, 2, "", "garage-web: layout apply: missing --version N; there are no staged changes to apply\n"},
		{[]string{"layout", "remove", "a1"}, 1, "", "garage-web: node " + admintest.SelfID + " has no role to remove\n"},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", "a1", "b2", "b3"}, 0, "Staged for node b3b3b3b3b3b3b3b3: zone dc1, capacity 1 TB.", ""},
		{[]string{"layout", "apply", "--version", "1"}, 0, "Applied layout version 1: 768 partition replicas move to new nodes.\nData moves in the background", ""},
		{[]string{"layout", "remove", "b3"}, 0, "Staged the removal of node b3b3b3b3b3b3b3b3 from the layout.\n", ""},
		{[]string{"layout", "show"}, 0, "b3b3b3b3b3b3b3b3  remove from the layout", ""},
		{[]string{"layout", "history"}, 0, "1        current  3              0", ""},

		{[]string{"node", "connect", idD4 + "@10.0.0.4:3901"}, 0, "Connected to " + idD4 + "@10.0.0.4:3901.\n", ""},
		{[]string{"node", "connect", idD4 + "@10.0.0.4:3901", unknown + "@10.9.9.9:3901"}, 1, "Could not connect to " + unknown + "@10.9.9.9:3901: cannot connect to 10.9.9.9:3901: connection refused\n", "garage-web: 1 of 2 connections failed; check the address and that the node runs with the same rpc_secret\n"},
		{[]string{"node", "connect", "d4@10.0.0.4:3901"}, 1, "", "garage-web: peer \"d4@10.0.0.4:3901\": invalid node id \"d4\": want 64 hex characters\n"},
		{[]string{"node", "connect"}, 2, "", "garage-web: node connect: missing ID@ADDR\n"},
		{[]string{"node", "id"}, 0, admintest.SelfID + "@127.0.0.1:3901\n", ""},
		{[]string{"status", "extra"}, 2, "", "garage-web: status: unexpected argument \"extra\"\n"},
	}
	for _, tt := range tests {
		r := h.run(t, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.HasPrefix(r.stderr, tt.stderr) || (tt.stderr == "" && r.stderr != "") {
			t.Errorf("%q: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout containing %q, stderr %q",
				tt.args, r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
}
