package admin_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
)

// repairing is a backend with fake repair operations.
type repairing struct {
	*admintest.Backend
	mu       sync.Mutex
	launched []string
}

func (b *repairing) LaunchRepair(_ context.Context, kind string) (admin.RepairOperation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range b.launched {
		if k == kind {
			return admin.RepairOperation{}, admin.ErrConflict
		}
	}
	b.launched = append(b.launched, kind)
	return admin.RepairOperation{RepairType: kind, State: admin.RepairRunning}, nil
}

func (b *repairing) RepairStatus(context.Context) (admin.RepairStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := admin.RepairStatus{NodeID: admintest.SelfID, Blocks: admin.BlockRepairStatus{ResyncQueueLength: 3}}
	for _, k := range b.launched {
		st.Operations = append(st.Operations, admin.RepairOperation{RepairType: k, State: admin.RepairRunning})
	}
	return st, nil
}

func TestRepairOperations(t *testing.T) {
	ts := mustServer(t, admin.Options{Backend: &repairing{Backend: admintest.New()}})
	for _, tc := range []struct {
		body, want string
		status     int
	}{
		{`{"repairType":"scrub"}`, `"state": "running"`, 200},
		{`{"repairType":"scrub"}`, `Conflict`, 409},
		{`{"repairType":"everything"}`, `repairType \"everything\"`, 400},
		{`{}`, `repairType`, 400},
		{``, `missing JSON request body`, 400},
	} {
		status, body := ts.call(t, "POST", "/v2/LaunchRepairOperation", testToken, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("launch %s: %d %s; want %d with %s", tc.body, status, body, tc.status, tc.want)
		}
	}
	status, body := ts.call(t, "GET", "/v2/GetRepairStatus", testToken, "")
	var st admin.RepairStatus
	if status != 200 || json.Unmarshal([]byte(body), &st) != nil || len(st.Operations) != 1 || st.Blocks.ResyncQueueLength != 3 {
		t.Fatalf("status: %d %s", status, body)
	}
	if status, _ := ts.call(t, "GET", "/v2/GetRepairStatus", "", ""); status != 401 {
		t.Errorf("status without token: %d", status)
	}
}

func TestRepairNotImplemented(t *testing.T) {
	ts := mustServer(t, admin.Options{Backend: admintest.New()})
	status, body := ts.call(t, "POST", "/v2/LaunchRepairOperation", testToken, `{"repairType":"blocks"}`)
	if status != 501 || !strings.Contains(body, "no repair operations") {
		t.Errorf("got %d %s", status, body)
	}
}
