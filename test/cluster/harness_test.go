// Package cluster holds the real-process cluster tests of garage-web: N
// garage-web processes, each on its own loopback address (or in its own
// network namespace), joined into one cluster through the CLI, then killed,
// restarted, partitioned and slowed down while S3 clients check what they
// were promised.
//
// `make cluster` runs them (part of `make test`; root is needed for the
// network-namespace tests, as .ci/run has):
//
//	go test -count=1 -parallel 4 -timeout 10m ./test/cluster/
//
// The harness's self-tests (process start/stop/kill, address allocation,
// config rendering, namespaces, the delaying proxy, the linearizability
// checker on synthetic histories) run with them.
//
// GARAGE_WEB_CLUSTER_BIN=path uses a prebuilt binary instead of building
// ./cmd/garage-web in TestMain. GARAGE_WEB_CLUSTER_ARTIFACTS=dir keeps
// porcupine visualisations of failed linearizability checks there (default: a
// fresh directory under $TMPDIR, named in the test output).
//
// Harness contract:
//   - startCluster(t, opts) gives a test its own cluster: per-test node
//     addresses (127.A.B.C, fixed ports 3900-3903 per address) or namespaces,
//     a shared random rpc_secret, bootstrap_peers, a layout assigned and
//     applied through the CLI and seen by every node, and an S3 key allowed
//     to create buckets.
//   - t.Cleanup kills every process and removes proxies and namespaces, even
//     on failure; on failure it prints each node's log tail.
//   - Every wait has a deadline (constants below); tests bound themselves
//     with their own context timeout.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Limits that keep every wait bounded.
const (
	buildTimeout  = 5 * time.Minute
	readyTimeout  = 30 * time.Second // process start to /health 200
	stopTimeout   = 15 * time.Second // SIGTERM grace before SIGKILL
	killTimeout   = 10 * time.Second // SIGKILL to reaped
	cliTimeout    = 30 * time.Second // one CLI call
	adminTimeout  = 10 * time.Second // one admin API request
	formTimeout   = 90 * time.Second // startCluster: join, layout, key
	pollInterval  = 100 * time.Millisecond
	logTailBytes  = 12 << 10
	s3Region      = "garage"
	s3RootDomain  = ".s3.localhost"
	webRootDomain = ".web.localhost"
)

// garageBin is the binary under test, set by TestMain.
var garageBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if bin := os.Getenv("GARAGE_WEB_CLUSTER_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cluster: GARAGE_WEB_CLUSTER_BIN: %v\n", err)
			return 1
		}
		garageBin = abs
		return m.Run()
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		fmt.Fprintf(os.Stderr, "cluster: cannot find the module root (go env GOMOD: %v)\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "garage-web-cluster-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	garageBin = filepath.Join(dir, "garage-web")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", garageBin, "./cmd/garage-web")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: building ./cmd/garage-web failed: %v\n%s\n", err, out)
		return 1
	}
	return m.Run()
}

// randHex is n random bytes in hex.
func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// waitFor polls cond until it returns nil or ctx ends; the error names what
// was awaited and the last reason it was not yet true.
func waitFor(ctx context.Context, what string, cond func(context.Context) error) error {
	var last error
	for {
		if last = cond(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// testCtx is a context that ends at d or just before the test's deadline.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := tt.Deadline(); ok {
			var c2 context.CancelFunc
			ctx, c2 = context.WithDeadline(ctx, dl.Add(-10*time.Second))
			prev := cancel
			cancel = func() { c2(); prev() }
		}
	}
	t.Cleanup(cancel)
	return ctx
}

// must fails the test on a non-nil error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
