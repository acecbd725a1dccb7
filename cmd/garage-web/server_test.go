package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garage-web/garage-web/admin/admintest"
	"github.com/garage-web/garage-web/config"
)

// mustTestConfig is the default configuration with every endpoint on a
// free loopback port.
func mustTestConfig(t testing.TB) *config.Config {
	t.Helper()
	env := map[string]string{
		"GARAGE_METADATA_DIR":         t.TempDir(),
		"GARAGE_DATA_DIR":             t.TempDir(),
		"GARAGE_ADMIN_API_BIND_ADDR":  "127.0.0.1:0",
		"GARAGE_S3_API_API_BIND_ADDR": "127.0.0.1:0",
		"GARAGE_S3_WEB_BIND_ADDR":     "127.0.0.1:0",
		"GARAGE_ADMIN_ADMIN_TOKEN":    "server-token",
	}
	cfg, err := config.Load("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fakeNode is a node whose parts record what runServer did with them.
type fakeNode struct {
	ran, closed atomic.Bool
	runErr      error // returned by run at once when set
}

func (f *fakeNode) build(context.Context, *config.Config, *slog.Logger) (*node, error) {
	return &node{
		admin: admintest.New(),
		s3:    http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "s3 here") }),
		run: func(ctx context.Context) error {
			if f.runErr != nil {
				return f.runErr
			}
			f.ran.Store(true)
			<-ctx.Done()
			return ctx.Err()
		},
		close: func() error { f.closed.Store(true); return nil },
	}, nil
}

// addrs collects the listening addresses runServer reports.
type addrs struct {
	mu sync.Mutex
	m  map[string]string
	ch chan struct{}
}

func newAddrs() *addrs { return &addrs{m: map[string]string{}, ch: make(chan struct{}, 8)} }

func (a *addrs) listening(name string, addr net.Addr) {
	a.mu.Lock()
	a.m[name] = addr.String()
	a.mu.Unlock()
	a.ch <- struct{}{}
}

func (a *addrs) get(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[name]
}

func get(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunServerServesAndStops(t *testing.T) {
	cfg := mustTestConfig(t)
	f := &fakeNode{}
	a := newAddrs()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runServer(ctx, cfg, slog.New(slog.DiscardHandler), serverHooks{build: f.build, listening: a.listening})
	}()
	for range 2 { // admin API and S3 API; no web handler, so no web endpoint
		select {
		case <-a.ch:
		case err := <-done:
			t.Fatalf("runServer returned early: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("endpoints not listening")
		}
	}
	adminURL := "http://" + a.get("admin API")
	if code, body := get(t, adminURL+"/health", ""); code != 200 || !strings.Contains(body, "healthy") {
		t.Errorf("/health: %d %s", code, body)
	}
	if code, body := get(t, adminURL+"/metrics", ""); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics: %d", code)
	}
	if code, _ := get(t, adminURL+"/v2/ListKeys", ""); code != 401 {
		t.Errorf("ListKeys without token: %d", code)
	}
	if code, body := get(t, "http://"+a.get("S3 API")+"/", ""); code != 200 || body != "s3 here" {
		t.Errorf("S3 API: %d %s", code, body)
	}
	if a.get("web endpoint") != "" {
		t.Error("web endpoint served without a handler")
	}

	// The CLI reaches it.
	h := &harness{env: map[string]string{}}
	if r := h.runRaw(t, "bucket", "create", "live", "--admin", a.get("admin API"), "--token", "server-token"); r.code != 0 {
		t.Errorf("CLI: exit %d %s", r.code, r.stderr)
	}

	cancel() // SIGINT
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runServer = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runServer did not stop")
	}
	if !f.ran.Load() || !f.closed.Load() {
		t.Errorf("ran %v, closed %v", f.ran.Load(), f.closed.Load())
	}
	if _, err := net.Dial("tcp", a.get("admin API")); err == nil {
		t.Error("admin API still listening after stop")
	}
}

func TestRunServerPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := mustTestConfig(t)
	cfg.S3API.APIBindAddr = ln.Addr().String()
	f := &fakeNode{}
	err = runServer(context.Background(), cfg, slog.New(slog.DiscardHandler), serverHooks{build: f.build})
	if err == nil || !strings.HasPrefix(err.Error(), "S3 API: listen tcp") {
		t.Errorf("err = %v", err)
	}
	if !f.closed.Load() {
		t.Error("node not closed")
	}
}

func TestRunServerBuildFails(t *testing.T) {
	build := func(context.Context, *config.Config, *slog.Logger) (*node, error) {
		return nil, errors.New("disk missing")
	}
	err := runServer(context.Background(), mustTestConfig(t), slog.New(slog.DiscardHandler), serverHooks{build: build})
	if err == nil || err.Error() != "starting node: disk missing" {
		t.Errorf("err = %v", err)
	}
}

func TestRunServerStopsWhenBackgroundWorkFails(t *testing.T) {
	f := &fakeNode{runErr: errors.New("rpc port taken")}
	done := make(chan error, 1)
	go func() {
		done <- runServer(context.Background(), mustTestConfig(t), slog.New(slog.DiscardHandler), serverHooks{build: f.build})
	}()
	select {
	case err := <-done:
		if err == nil || err.Error() != "node stopped: rpc port taken" {
			t.Errorf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runServer did not stop")
	}
	if !f.closed.Load() {
		t.Error("node not closed")
	}
}
