package membership

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// testNode is one Membership on loopback with its plain TCP streams.
type testNode struct {
	t       testing.TB
	m       *Membership
	streams *TCPStreams
	id      cluster.NodeID
	dir     string
	addr    string
	meta    *atomic.Value // []byte
}

func mustSecret(t testing.TB) []byte {
	t.Helper()
	s := make([]byte, SecretLen)
	if _, err := rand.Read(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustID(t testing.TB) cluster.NodeID {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return cluster.NodeIDOf(pub)
}

// testLog discards logs unless MEMBERSHIP_TEST_LOG is set (logging to t
// is unsafe: memberlist goroutines may log after the test ends).
func testLog() *slog.Logger {
	if os.Getenv("MEMBERSHIP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// mustNode starts a node with id and dir (fresh ones when zero/empty) on
// an ephemeral loopback port shared by its TCP streams and UDP packets.
func mustNode(t testing.TB, secret []byte, id cluster.NodeID, dir string) *testNode {
	t.Helper()
	return startNode(t, secret, id, dir, "127.0.0.1:0")
}

// mustNodeAt starts a node at a fixed address (a restart in place).
func mustNodeAt(t testing.TB, secret []byte, id cluster.NodeID, addr string) *testNode {
	t.Helper()
	return startNode(t, secret, id, "", addr)
}

func startNode(t testing.TB, secret []byte, id cluster.NodeID, dir, listen string, tune ...func(*Config)) *testNode {
	t.Helper()
	if id.IsZero() {
		id = mustID(t)
	}
	if dir == "" {
		dir = t.TempDir()
	}
	n := &testNode{t: t, id: id, dir: dir, meta: new(atomic.Value)}
	n.meta.Store([]byte(nil))
	// The UDP port of the same number may be taken: try a few TCP ports.
	var err error
	for range 10 {
		var st *TCPStreams
		st, err = ListenTCPStreams(listen)
		if err != nil {
			t.Fatal(err)
		}
		addr := st.Addr().String()
		cfg := Config{
			ID:       id,
			BindAddr: addr,
			Zone:     "z-" + id.Short()[:4],
			Secret:   secret,
			Dir:      dir,
			Log:      testLog(),
			Streams:  st,
			Meta:     func() []byte { return n.meta.Load().([]byte) },
		}
		for _, f := range tune {
			f(&cfg)
		}
		var m *Membership
		m, err = New(cfg)
		if err == nil {
			n.m, n.streams, n.addr = m, st, addr
			break
		}
		_ = st.Close()
		if !errors.Is(err, syscall.EADDRINUSE) || listen != "127.0.0.1:0" {
			t.Fatal(err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.stop)
	return n
}

// stop shuts the node down; it may be called more than once.
func (n *testNode) stop() {
	if err := n.m.Shutdown(); err != nil {
		n.t.Errorf("shutdown %s: %v", n.id.Short(), err)
	}
	_ = n.streams.Close()
}

func (n *testNode) peer() string { return Peer{ID: n.id, Addr: n.addr}.String() }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not true within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// member returns n's view of id.
func (n *testNode) member(id cluster.NodeID) (Member, bool) {
	for _, mem := range n.m.Members() {
		if mem.ID == id {
			return mem, true
		}
	}
	return Member{}, false
}

// seesAlive reports whether n sees every one of others alive.
func (n *testNode) seesAlive(others ...*testNode) bool {
	for _, o := range others {
		if !n.m.Alive(o.id) {
			return false
		}
	}
	return true
}
