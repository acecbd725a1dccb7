package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// The interfaces table/ declares, so that Server and Peers keep fitting.
type (
	caller interface {
		Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error)
	}
	registrar interface {
		Handle(method string, h func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error))
	}
)

var (
	_ caller    = (*Peers)(nil)
	_ registrar = (*Server)(nil)
)

func TestRoundTripBothWays(t *testing.T) {
	secret := mustSecret(t)
	setup := func(s *Server) { s.Handle("test.echo", echo) }
	a := mustNode(t, secret, 1, nil, setup)
	b := mustNode(t, secret, 1, nil, setup)
	ctx := testCtx(t)
	for _, tc := range []struct{ from, to *node }{{a, b}, {b, a}, {a, a}} {
		for i := range 3 { // later calls reuse the connection
			body := []byte(fmt.Sprintf("hello %d", i))
			got, err := tc.from.cli.Call(ctx, tc.to.id.ID, tc.to.addr, "test.echo", body)
			if err != nil {
				t.Fatal(err)
			}
			want := append(tc.from.id.ID[:], body...)
			if !bytes.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
	}
	// Empty bodies both ways.
	b.srv.Handle("test.empty", func(context.Context, cluster.NodeID, []byte) ([]byte, error) { return nil, nil })
	if got, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.empty", nil); err != nil || len(got) != 0 {
		t.Fatalf("empty call: %q, %v", got, err)
	}
}

func TestWrongNodeRefused(t *testing.T) {
	secret := mustSecret(t)
	var calls atomic.Int32
	b := mustNode(t, secret, 1, nil, func(s *Server) {
		s.Handle("test.touch", func(context.Context, cluster.NodeID, []byte) ([]byte, error) {
			calls.Add(1)
			return nil, nil
		})
	})
	a := mustNode(t, secret, 1, nil, nil)
	other := mustIdentity(t)
	_, err := a.cli.Call(testCtx(t), other.ID, b.addr, "test.touch", nil)
	if !errors.Is(err, ErrWrongNode) || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrWrongNode and ErrUnreachable", err)
	}
	want := fmt.Sprintf("connected to %s but expected node %s", b.id.ID.Short(), other.ID.Short())
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	if _, err := a.cli.Call(testCtx(t), cluster.NodeID{}, b.addr, "test.touch", nil); err == nil {
		t.Fatal("a call without a node id went through")
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times for the wrong node", n)
	}
	// The right id at the same address works, on its own connection.
	if _, err := a.cli.Call(testCtx(t), b.id.ID, b.addr, "test.touch", nil); err != nil {
		t.Fatal(err)
	}
}

func TestDeadlinePropagated(t *testing.T) {
	secret := mustSecret(t)
	deadlines := make(chan time.Time, 1)
	b := mustNode(t, secret, 1, nil, func(s *Server) {
		s.Handle("test.deadline", func(ctx context.Context, _ cluster.NodeID, _ []byte) ([]byte, error) {
			d, ok := ctx.Deadline()
			if !ok {
				return nil, errors.New("no deadline")
			}
			deadlines <- d
			return nil, nil
		})
		s.Handle("test.block", func(ctx context.Context, _ cluster.NodeID, _ []byte) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
	})
	a := mustNode(t, secret, 1, nil, nil)

	for _, timeout := range []time.Duration{5 * time.Second, 0 /* none: DefaultTimeout */, time.Hour /* capped */} {
		ctx := context.Background()
		if timeout != 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		start := time.Now()
		callerDeadline, ok := ctx.Deadline()
		if !ok {
			callerDeadline = start.Add(DefaultTimeout)
		}
		if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.deadline", nil); err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		got := <-deadlines
		// The server measures the remaining time from its own "now", which
		// is later than the caller's by at most the call's duration.
		want := callerDeadline
		if timeout > MaxTimeout {
			want = start.Add(MaxTimeout)
		}
		if got.Before(want.Add(-elapsed-time.Millisecond)) || got.After(want.Add(elapsed)) {
			t.Errorf("timeout %v: handler deadline %v, caller's %v (call took %v)", timeout, got, want, elapsed)
		}
	}

	// A handler that waits out its deadline ends with the caller's: the
	// caller sees either its own timeout or the server's "timeout" answer.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.block", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	if !errors.Is(err, ErrUnreachable) && !errors.Is(err, &Error{Code: CodeTimeout}) {
		t.Fatalf("got %v, want ErrUnreachable or a timeout answer", err)
	}
}

func TestClockObservedBothWays(t *testing.T) {
	secret := mustSecret(t)
	b := mustNode(t, secret, 5000, nil, func(s *Server) { s.Handle("test.echo", echo) })
	a := mustNode(t, secret, 1000, nil, nil)
	ctx := testCtx(t)
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.echo", nil); err != nil {
		t.Fatal(err)
	}
	if !b.clock.sawValue(1000) {
		t.Error("server did not observe the caller's timestamp")
	}
	if !a.clock.sawValue(5000) {
		t.Error("caller did not observe the server's timestamp")
	}
	// Error answers carry the server's clock too.
	b.clock.now.Store(7000)
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.nothing", nil); err == nil {
		t.Fatal("unknown method succeeded")
	}
	if !a.clock.sawValue(7000) {
		t.Error("caller did not observe the timestamp of an error answer")
	}
}

func TestHandlerErrors(t *testing.T) {
	secret := mustSecret(t)
	b := mustNode(t, secret, 1, nil, func(s *Server) {
		s.Handle("test.coded", func(context.Context, cluster.NodeID, []byte) ([]byte, error) {
			return nil, fmt.Errorf("lookup: %w", Errorf("no_such_key", "key %q", "k1"))
		})
		s.Handle("test.plain", func(context.Context, cluster.NodeID, []byte) ([]byte, error) {
			return nil, errors.New("disk on fire")
		})
		s.Handle("test.badcode", func(context.Context, cluster.NodeID, []byte) ([]byte, error) {
			return nil, &Error{Code: "bad code\r\nX: y", Message: "m"}
		})
	})
	a := mustNode(t, secret, 1, nil, nil)
	ctx := testCtx(t)
	for _, tc := range []struct{ method, code, msg string }{
		{"test.coded", "no_such_key", `key "k1"`},
		{"test.plain", CodeInternal, "disk on fire"},
		{"test.badcode", CodeInternal, "m"},
		{"test.nothing", CodeUnknownMethod, "test.nothing"},
	} {
		_, err := a.cli.Call(ctx, b.id.ID, b.addr, tc.method, nil)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: got %v (%T), want *Error", tc.method, err, err)
		}
		if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: got %q %q, want %q containing %q", tc.method, e.Code, e.Message, tc.code, tc.msg)
		}
		if errors.Is(err, ErrUnreachable) {
			t.Errorf("%s: a handler error is not unreachable", tc.method)
		}
		if !errors.Is(err, &Error{Code: tc.code}) {
			t.Errorf("%s: errors.Is by code fails", tc.method)
		}
	}
}

func TestHandleRejectsBadNames(t *testing.T) {
	s, err := NewServer(Config{Identity: mustIdentity(t), Secret: mustSecret(t), Clock: newTestClock(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Handle("ok.name", echo)
	for _, name := range []string{"", "rpc.ping", "rpc.mine", "a/b", "a b", "ok.name"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) did not panic", name)
				}
			}()
			s.Handle(name, echo)
		}()
	}
}

func TestConfigValidated(t *testing.T) {
	id := mustIdentity(t)
	for name, cfg := range map[string]Config{
		"short secret": {Identity: id, Secret: make([]byte, 16), Clock: newTestClock(1)},
		"no clock":     {Identity: id, Secret: mustSecret(t)},
		"no key":       {Identity: cluster.Identity{ID: id.ID}, Secret: mustSecret(t), Clock: newTestClock(1)},
		"wrong id":     {Identity: cluster.Identity{ID: mustIdentity(t).ID, Key: id.Key}, Secret: mustSecret(t), Clock: newTestClock(1)},
	} {
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("%s: NewServer accepted it", name)
		}
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("%s: NewClient accepted it", name)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	secret := mustSecret(t)
	setup := func(s *Server) { s.Handle("test.echo", echo) }
	nodes := []*node{mustNode(t, secret, 1, nil, setup), mustNode(t, secret, 1, nil, setup), mustNode(t, secret, 1, nil, setup)}
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 48 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := nodes[g%3], nodes[(g/3)%3]
			for i := range 20 {
				body := bytes.Repeat([]byte{byte(g), byte(i)}, 1+g*i*7)
				got, err := from.cli.Call(ctx, to.id.ID, to.addr, "test.echo", body)
				if err == nil && !bytes.Equal(got[len(cluster.NodeID{}):], body) {
					err = fmt.Errorf("goroutine %d call %d: wrong answer", g, i)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPingAndPeers(t *testing.T) {
	secret := mustSecret(t)
	b := mustNode(t, secret, 1, nil, func(s *Server) { s.Handle("test.echo", echo) })
	a := mustNode(t, secret, 1, nil, nil)
	ctx := testCtx(t)
	if _, ok := a.cli.RTT(b.id.ID); ok {
		t.Fatal("RTT known before any ping")
	}
	peers := a.cli.Bind(func(id cluster.NodeID) (string, bool) {
		if id == b.id.ID {
			return b.addr, true
		}
		return "", false
	})
	for range 3 {
		if d, err := peers.Ping(ctx, b.id.ID); err != nil || d <= 0 {
			t.Fatalf("ping: %v, %v", d, err)
		}
	}
	if d, ok := peers.RTT(b.id.ID); !ok || d <= 0 {
		t.Fatalf("RTT after pings: %v, %v", d, ok)
	}
	if got, err := peers.Call(ctx, b.id.ID, "test.echo", []byte("x")); err != nil || string(got[len(got)-1:]) != "x" {
		t.Fatalf("peers call: %q, %v", got, err)
	}
	if _, err := peers.Call(ctx, mustIdentity(t).ID, "test.echo", nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("call to a node without address: %v", err)
	}
}

func TestUnreachableAndClosed(t *testing.T) {
	secret := mustSecret(t)
	b := mustNode(t, secret, 1, nil, func(s *Server) { s.Handle("test.echo", echo) })
	a := mustNode(t, secret, 1, nil, nil)
	ctx := testCtx(t)
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.echo", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.echo", nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("call to a closed server: %v", err)
	}
	if err := b.srv.Serve(nil); err != ErrServerClosed {
		t.Fatalf("Serve after Close: %v", err)
	}
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.echo", make([]byte, MaxRequestBody+1)); !errors.Is(err, &Error{Code: CodeTooLarge}) {
		t.Fatalf("oversized request: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	secret := mustSecret(t)
	reg := prometheus.NewRegistry()
	b := mustNode(t, secret, 1, reg, func(s *Server) { s.Handle("test.echo", echo) })
	a := mustNode(t, secret, 1, reg, nil) // a second client and server on one registry
	ctx := testCtx(t)
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.echo", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.nothing", nil); err == nil {
		t.Fatal("unknown method succeeded")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "garageweb_rpc_call_duration_seconds":
				if labels["method"] == "test.echo" && labels["peer"] == b.id.ID.Short() && m.GetHistogram().GetSampleCount() == 1 {
					seen["latency"] = true
				}
			case "garageweb_rpc_errors_total":
				if labels["peer"] == b.id.ID.Short() && labels["kind"] == "remote" && m.GetCounter().GetValue() == 1 {
					seen["errors"] = true
				}
			}
		}
	}
	if !seen["latency"] || !seen["errors"] {
		t.Fatalf("metrics missing: %v", seen)
	}
}

func TestShutdownLetsCallsFinish(t *testing.T) {
	secret := mustSecret(t)
	entered, release := make(chan struct{}), make(chan struct{})
	b := mustNode(t, secret, 1, nil, func(s *Server) {
		s.Handle("test.slow", func(ctx context.Context, _ cluster.NodeID, _ []byte) ([]byte, error) {
			close(entered)
			select {
			case <-release:
				return []byte("done"), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		})
	})
	a := mustNode(t, secret, 1, nil, nil)
	ctx := testCtx(t)
	result := make(chan error, 1)
	go func() {
		out, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.slow", nil)
		if err == nil && string(out) != "done" {
			err = fmt.Errorf("got %q", out)
		}
		result <- err
	}()
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("handler never ran")
	}
	shut := make(chan error, 1)
	go func() { shut <- b.srv.Shutdown(ctx) }()
	close(release)
	if err := <-result; err != nil {
		t.Fatalf("call in progress during shutdown: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, "test.slow", nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("call after shutdown: %v", err)
	}
}
