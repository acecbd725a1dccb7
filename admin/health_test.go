package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/admin"
)

// A backend that says ErrDegraded (a full disk) makes /health answer 503
// "degraded" with the reason alone, and healthy again once it is gone.
func TestHealthDegraded(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	ts.backend.SetNotReady(fmt.Errorf("data_dir full: 1234 bytes free: %w", admin.ErrDegraded))
	status, body := ts.call(t, "GET", "/health", "", "")
	var h admin.HealthStatus
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if status != 503 || h.Status != "degraded" || h.Message != "data_dir full: 1234 bytes free" {
		t.Fatalf("degraded: %d %+v", status, h)
	}
	if _, err := ts.client.Health(context.Background()); err == nil || !strings.Contains(err.Error(), "degraded") {
		t.Fatalf("client Health: %v", err)
	}
	ts.backend.SetNotReady(nil)
	if status, _ := ts.call(t, "GET", "/health", "", ""); status != 200 {
		t.Fatalf("healthy again: %d", status)
	}
}
