package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
	"github.com/garage-web/garage-web/table"
)

// noQuorum is a backend whose ListBuckets cannot reach a read quorum.
type noQuorum struct{ *admintest.Backend }

func (noQuorum) ListBuckets(context.Context) ([]admin.BucketSummary, error) {
	return nil, fmt.Errorf("list buckets: %w", table.ErrQuorum)
}

func TestQuorumErrorIsServiceUnavailable(t *testing.T) {
	ts := mustServer(t, admin.Options{Backend: noQuorum{admintest.New()}})
	status, body := ts.call(t, "GET", "/v2/ListBuckets", testToken, "")
	if status != 503 || !strings.Contains(body, `"ServiceUnavailable"`) {
		t.Errorf("got %d %s, want 503 ServiceUnavailable", status, body)
	}
}
