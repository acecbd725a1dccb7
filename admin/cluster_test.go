package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
)

var (
	node1 = admintest.SelfID
	node2 = strings.Repeat("b2", 32)
	node3 = strings.Repeat("c3", 32)
	node4 = strings.Repeat("d4", 32) // known, down
)

// mustCluster is a server over a fake cluster of four known nodes.
func mustCluster(t testing.TB) *testServer {
	t.Helper()
	ts := mustServer(t, admin.Options{})
	ts.backend.AddNode(admintest.Node{ID: node2, Addr: "10.0.0.2:3901", Hostname: "node2", IsUp: true})
	ts.backend.AddNode(admintest.Node{ID: node3, Addr: "10.0.0.3:3901", Hostname: "node3", IsUp: true})
	ts.backend.AddNode(admintest.Node{ID: node4, Addr: "10.0.0.4:3901", Hostname: "node4", LastSeenSecsAgo: 42})
	return ts
}

func TestClusterRoutesNeedToken(t *testing.T) {
	ts := mustCluster(t)
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v2/GetClusterStatus"},
		{"GET", "/v2/GetClusterHealth"},
		{"GET", "/v2/GetClusterLayout"},
		{"GET", "/v2/GetClusterLayoutHistory"},
		{"POST", "/v2/UpdateClusterLayout"},
		{"POST", "/v2/PreviewClusterLayoutChanges"},
		{"POST", "/v2/ApplyClusterLayout"},
		{"POST", "/v2/RevertClusterLayout"},
		{"POST", "/v2/ConnectClusterNodes"},
	} {
		if status, body := ts.call(t, rt.method, rt.path, "", ""); status != 401 || !strings.Contains(body, "Unauthorized") {
			t.Errorf("%s %s without token: %d %s", rt.method, rt.path, status, body)
		}
		if status, _ := ts.call(t, rt.method, rt.path, "wrong", ""); status != 403 {
			t.Errorf("%s %s with a wrong token: %d", rt.method, rt.path, status)
		}
	}
}

// TestClusterRequests runs requests in order on one fake cluster.
func TestClusterRequests(t *testing.T) {
	ts := mustCluster(t)
	role := func(id, zone, capacity string) string {
		return `{"id":"` + id + `","zone":"` + zone + `","capacity":` + capacity + `,"tags":["t"]}`
	}
	update := func(roles ...string) string { return `{"roles":[` + strings.Join(roles, ",") + `]}` }
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string // error code, or a substring of a 200 body
	}{
		{"status", "GET", "/v2/GetClusterStatus", "", 200, `"layoutVersion": 0`},
		{"status lists down node", "GET", "/v2/GetClusterStatus", "", 200, `"lastSeenSecsAgo": 42`},
		{"health without layout", "GET", "/v2/GetClusterHealth", "", 200, `"status": "unavailable"`},
		{"empty layout", "GET", "/v2/GetClusterLayout", "", 200, `"roles": []`},
		{"empty layout has no staged changes", "GET", "/v2/GetClusterLayout", "", 200, `"stagedRoleChanges": []`},
		{"empty history", "GET", "/v2/GetClusterLayoutHistory", "", 200, `"versions": []`},
		{"node info before layout", "GET", "/v2/GetNodeInfo", "", 200, `"gateway": false`},

		{"update no body", "POST", "/v2/UpdateClusterLayout", "", 400, "InvalidRequest"},
		{"update nothing", "POST", "/v2/UpdateClusterLayout", `{}`, 400, "nothing to change"},
		{"update bad id", "POST", "/v2/UpdateClusterLayout", update(role("abc", "dc1", "1000")), 400, "invalid node id"},
		{"update unknown node", "POST", "/v2/UpdateClusterLayout", update(role(strings.Repeat("ee", 32), "dc1", "1000")), 400, "NoSuchNode"},
		{"update no zone", "POST", "/v2/UpdateClusterLayout", update(`{"id":"` + node1 + `","capacity":1000}`), 400, "zone is required"},
		{"update zero capacity", "POST", "/v2/UpdateClusterLayout", update(role(node1, "dc1", "0")), 400, "capacity must be more than 0"},
		{"update negative capacity", "POST", "/v2/UpdateClusterLayout", update(role(node1, "dc1", "-5")), 400, "InvalidRequest"},
		{"update capacity as string", "POST", "/v2/UpdateClusterLayout", update(role(node1, "dc1", `"1T"`)), 400, "InvalidRequest"},
		{"update twice the same node", "POST", "/v2/UpdateClusterLayout", update(role(node1, "dc1", "1"), role(node1, "dc2", "1")), 400, "appears twice"},
		{"update remove with zone", "POST", "/v2/UpdateClusterLayout", update(`{"id":"` + node1 + `","remove":true,"zone":"x"}`), 400, "a removal has no zone"},
		{"update remove without role", "POST", "/v2/UpdateClusterLayout", update(`{"id":"` + node1 + `","remove":true}`), 400, "has no role to remove"},
		{"update bad replication factor", "POST", "/v2/UpdateClusterLayout", `{"parameters":{"replicationFactor":4}}`, 400, "must be 1 to 3"},
		{"update unknown field", "POST", "/v2/UpdateClusterLayout", `{"roles":[],"rf":3}`, 400, "unknown field"},

		{"preview without changes", "POST", "/v2/PreviewClusterLayoutChanges", "", 400, "no staged changes"},
		{"apply without changes", "POST", "/v2/ApplyClusterLayout", `{"version":1}`, 400, "no staged changes"},

		{"stage three nodes", "POST", "/v2/UpdateClusterLayout", update(role(node1, "dc1", "1000000000000"), role(strings.ToUpper(node2), "dc2", "1000000000000"), role(node3, "dc3", "null")), 200, `"capacity": null`},
		{"staged ids are lower case", "GET", "/v2/GetClusterLayout", "", 200, `"id": "` + node2 + `"`},
		{"preview with too few storage nodes", "POST", "/v2/PreviewClusterLayoutChanges", "", 400, "needs at least 3 storage nodes"},
		{"stage rf 2", "POST", "/v2/UpdateClusterLayout", `{"parameters":{"replicationFactor":2}}`, 200, `"stagedParameters": {`},
		{"preview", "POST", "/v2/PreviewClusterLayoutChanges", "", 200, `"partitionsMoved": 512`},
		{"preview body must be empty or {}", "POST", "/v2/PreviewClusterLayoutChanges", `{"x":1}`, 400, "InvalidRequest"},
		{"apply without version", "POST", "/v2/ApplyClusterLayout", `{}`, 400, `\"version\" is required`},
		{"apply no body", "POST", "/v2/ApplyClusterLayout", "", 400, "missing JSON request body"},
		{"apply wrong version", "POST", "/v2/ApplyClusterLayout", `{"version":5}`, 400, "the next one is 1"},
		{"apply", "POST", "/v2/ApplyClusterLayout", `{"version":1}`, 200, `"storedPartitions": 256`},
		{"layout version 1", "GET", "/v2/GetClusterLayout", "", 200, `"version": 1`},
		{"status has roles", "GET", "/v2/GetClusterStatus", "", 200, `"zone": "dc2"`},
		{"health healthy", "GET", "/v2/GetClusterHealth", "", 200, `"status": "healthy"`},
		{"node info has zone", "GET", "/v2/GetNodeInfo", "", 200, `"zone": "dc1"`},
		{"apply same version again", "POST", "/v2/ApplyClusterLayout", `{"version":1}`, 400, "the current version is 1"},

		{"stage removal", "POST", "/v2/UpdateClusterLayout", update(`{"id":"` + node3 + `","remove":true}`), 200, `"remove": true`},
		{"revert", "POST", "/v2/RevertClusterLayout", "", 200, `"stagedRoleChanges": []`},
		{"revert with body", "POST", "/v2/RevertClusterLayout", `[]`, 400, "InvalidRequest"},
		{"history", "GET", "/v2/GetClusterLayoutHistory", "", 200, `"status": "Current"`},

		{"connect no body", "POST", "/v2/ConnectClusterNodes", "", 400, "missing JSON request body"},
		{"connect empty", "POST", "/v2/ConnectClusterNodes", `[]`, 400, "no peers given"},
		{"connect object", "POST", "/v2/ConnectClusterNodes", `{"peer":"x"}`, 400, "InvalidRequest"},
		{"connect no @", "POST", "/v2/ConnectClusterNodes", `["` + node4 + `"]`, 400, "want ID@host:port"},
		{"connect bad id", "POST", "/v2/ConnectClusterNodes", `["zz@10.0.0.4:3901"]`, 400, "invalid node id"},
		{"connect bad addr", "POST", "/v2/ConnectClusterNodes", `["` + node4 + `@10.0.0.4"]`, 400, "is not host:port"},
		{"connect", "POST", "/v2/ConnectClusterNodes", `["` + node4 + `@10.0.0.4:3901","` + strings.Repeat("ee", 32) + `@10.0.0.9:3901"]`, 200, `"error": "cannot connect to 10.0.0.9:3901`},
		{"connected node is up", "GET", "/v2/GetClusterHealth", "", 200, `"connectedNodes": 4`},

		{"status is GET", "POST", "/v2/GetClusterStatus", "{}", 405, "MethodNotAllowed"},
		{"apply is POST", "GET", "/v2/ApplyClusterLayout", "", 405, "MethodNotAllowed"},
	}
	for _, tt := range tests {
		status, body := ts.call(t, tt.method, tt.path, testToken, tt.body)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: got %d %s\nwant %d containing %q", tt.name, status, body, tt.status, tt.want)
		}
	}
}

func TestStagedChangeJSON(t *testing.T) {
	capacity := uint64(1000)
	tests := []struct {
		c    admin.NodeRoleChange
		want string
	}{
		{admin.NodeRoleChange{ID: "n", Remove: true}, `{"id":"n","remove":true}`},
		{admin.NodeRoleChange{ID: "n", Zone: "z"}, `{"id":"n","zone":"z","capacity":null,"tags":[]}`},
		{admin.NodeRoleChange{ID: "n", Zone: "z", Capacity: &capacity, Tags: []string{"a"}}, `{"id":"n","zone":"z","capacity":1000,"tags":["a"]}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.c)
		if err != nil || string(b) != tt.want {
			t.Errorf("%+v: %s, %v; want %s", tt.c, b, err, tt.want)
		}
		var back admin.NodeRoleChange
		if err := json.Unmarshal(b, &back); err != nil || back.ID != tt.c.ID || back.Remove != tt.c.Remove || back.Zone != tt.c.Zone {
			t.Errorf("%s decodes to %+v, %v", b, back, err)
		}
	}
}

func TestClientLayoutRoundTrip(t *testing.T) {
	ts := mustCluster(t)
	c := ts.client
	ctx := context.Background()
	capacity := uint64(2e12)
	var roles []admin.NodeRoleChange
	for i, id := range []string{node1, node2, node3} {
		roles = append(roles, admin.NodeRoleChange{ID: id, Zone: []string{"a", "b", "c"}[i], Capacity: &capacity})
	}
	l, err := c.UpdateLayout(ctx, admin.UpdateLayoutRequest{Roles: roles})
	if err != nil || len(l.StagedRoleChanges) != 3 || !l.HasStagedChanges() {
		t.Fatalf("UpdateLayout = %+v, %v", l, err)
	}
	p, err := c.PreviewLayout(ctx)
	if err != nil || p.PartitionsMoved != 768 || len(p.NewLayout.Roles) != 3 || len(p.Message) == 0 {
		t.Fatalf("PreviewLayout = %+v, %v", p, err)
	}
	res, err := c.ApplyLayout(ctx, l.Version+1)
	if err != nil || res.Layout.Version != 1 || res.Layout.HasStagedChanges() || res.PartitionsMoved != 768 {
		t.Fatalf("ApplyLayout = %+v, %v", res, err)
	}
	if *res.Layout.Roles[0].UsableCapacity != 256*res.Layout.PartitionSize {
		t.Errorf("usable capacity %d, partition size %d", *res.Layout.Roles[0].UsableCapacity, res.Layout.PartitionSize)
	}
	if _, err := c.ApplyLayout(ctx, 1); !errors.Is(err, admin.ErrBadRequest) {
		t.Errorf("apply again: %v", err)
	}
	if _, err := c.UpdateLayout(ctx, admin.UpdateLayoutRequest{Roles: []admin.NodeRoleChange{{ID: strings.Repeat("ee", 32), Remove: true}}}); !errors.Is(err, admin.ErrNoSuchNode) || !errors.Is(err, admin.ErrBadRequest) {
		t.Errorf("unknown node: %v", err)
	}
	if l, err := c.RevertLayout(ctx); err != nil || l.Version != 1 {
		t.Errorf("RevertLayout = %+v, %v", l, err)
	}
	h, err := c.LayoutHistory(ctx)
	if err != nil || h.CurrentVersion != 1 || len(h.Versions) != 1 || h.Versions[0].StorageNodes != 3 {
		t.Errorf("LayoutHistory = %+v, %v", h, err)
	}
	st, err := c.ClusterStatus(ctx)
	if err != nil || st.LayoutVersion != 1 || len(st.Nodes) != 4 || st.Nodes[0].ID != node1 || st.Nodes[0].Role == nil {
		t.Errorf("ClusterStatus = %+v, %v", st, err)
	}
	ts.backend.SetNodeUp(node3, false)
	hl, err := c.ClusterHealth(ctx)
	if err != nil || hl.Status != admin.HealthDegraded || hl.StorageNodesUp != 2 || hl.PartitionsQuorum != 256 || hl.PartitionsAllOk != 0 {
		t.Errorf("ClusterHealth = %+v, %v", hl, err)
	}
	cr, err := c.ConnectNodes(ctx, []string{node3 + "@10.0.0.3:3901"})
	if err != nil || len(cr) != 1 || !cr[0].Success {
		t.Errorf("ConnectNodes = %+v, %v", cr, err)
	}
	if _, err := c.ConnectNodes(ctx, nil); !errors.Is(err, admin.ErrBadRequest) {
		t.Errorf("ConnectNodes(nil): %v", err)
	}
}

// notYet is a backend whose cluster operations are not implemented.
type notYet struct{ *admintest.Backend }

func (notYet) ClusterStatus(context.Context) (admin.ClusterStatus, error) {
	return admin.ClusterStatus{}, admin.ErrNotImplemented
}

func TestNotImplemented(t *testing.T) {
	ts := mustServer(t, admin.Options{Backend: notYet{admintest.New()}})
	status, body := ts.call(t, "GET", "/v2/GetClusterStatus", testToken, "")
	if status != 501 || !strings.Contains(body, `"NotImplemented"`) {
		t.Errorf("got %d %s", status, body)
	}
}
