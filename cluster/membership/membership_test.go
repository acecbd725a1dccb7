package membership

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// bound is the longest any convergence in these tests may take; with
// DefaultLocalConfig a dead node is declared in a few seconds.
const bound = 30 * time.Second

func mustCluster(t *testing.T, n int) (secret []byte, nodes []*testNode) {
	t.Helper()
	secret = mustSecret(t)
	for range n {
		nodes = append(nodes, mustNode(t, secret, [32]byte{}, ""))
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	for _, o := range nodes[1:] {
		if k, err := o.m.Join(ctx, []string{nodes[0].addr}); k != 1 || err != nil {
			t.Fatalf("join: %d, %v", k, err)
		}
	}
	for _, a := range nodes {
		waitFor(t, bound, "every node sees every other alive", func() bool { return a.seesAlive(nodes...) })
	}
	return secret, nodes
}

func TestThreeMembersSeeEachOther(t *testing.T) {
	_, nodes := mustCluster(t, 3)
	for _, a := range nodes {
		ms := a.m.Members()
		if len(ms) != 3 {
			t.Fatalf("%s sees %d members, want 3", a.id.Short(), len(ms))
		}
		for _, b := range nodes {
			mem, ok := a.member(b.id)
			if !ok || !mem.Alive || mem.Addr != b.addr || mem.Zone != b.m.cfg.Zone {
				t.Errorf("%s sees %s as %+v, want alive at %s in %s", a.id.Short(), b.id.Short(), mem, b.addr, b.m.cfg.Zone)
			}
			if addr, ok := a.m.Addr(b.id); !ok || addr != b.addr {
				t.Errorf("%s: Addr(%s) = %q, %v; want %s", a.id.Short(), b.id.Short(), addr, ok, b.addr)
			}
		}
		if addr, ok := a.m.Addr(cluster.NodeID{0xff}); ok {
			t.Errorf("%s: Addr of an unknown node = %q, want none", a.id.Short(), addr)
		}
	}
}

func TestShutdownNodeSeenDead(t *testing.T) {
	_, nodes := mustCluster(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	evs := a.m.Subscribe()
	before := time.Now()
	c.stop()
	waitFor(t, bound, "a and b see c dead", func() bool { return !a.m.Alive(c.id) && !b.m.Alive(c.id) })
	mem, ok := a.member(c.id)
	if !ok || mem.Alive || mem.LastSeen.Before(before) {
		t.Errorf("a sees c as %+v, want dead, last seen after %v", mem, before)
	}
	if !a.seesAlive(b) {
		t.Error("a no longer sees b alive")
	}
	timeout := time.After(bound)
	for {
		select {
		case ev := <-evs:
			if ev.Kind == EventLeave && ev.Member.ID == c.id && !ev.Member.Alive {
				return
			}
		case <-timeout:
			t.Fatal("no leave event for c")
		}
	}
}

func TestLeaveSeenNotAlive(t *testing.T) {
	_, nodes := mustCluster(t, 2)
	a, b := nodes[0], nodes[1]
	if err := b.m.Leave(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bound, "a sees b gone", func() bool { return !a.m.Alive(b.id) })
}

func TestOtherSecretCannotJoin(t *testing.T) {
	_, nodes := mustCluster(t, 2)
	a := nodes[0]
	d := mustNode(t, mustSecret(t), [32]byte{}, "")
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	n, err := d.m.Join(ctx, []string{a.addr})
	if n != 0 || !errors.Is(err, ErrNoPeerAnswered) {
		t.Fatalf("join with another secret: %d, %v; want 0, ErrNoPeerAnswered", n, err)
	}
	if _, ok := a.member(d.id); ok {
		t.Error("a knows the node with another secret")
	}
	if got := len(d.m.Members()); got != 1 {
		t.Errorf("the node with another secret sees %d members, want only itself", got)
	}
}

func TestMetaUpdatePropagates(t *testing.T) {
	_, nodes := mustCluster(t, 3)
	a, b := nodes[0], nodes[1]
	evs := b.m.Subscribe()
	want := []byte("layout-digest-v7")
	a.meta.Store(want)
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if err := a.m.UpdateMeta(ctx); err != nil {
		t.Fatal(err)
	}
	for _, o := range nodes[1:] {
		waitFor(t, bound, "meta reaches "+o.id.Short(), func() bool {
			mem, _ := o.member(a.id)
			return bytes.Equal(mem.Meta, want)
		})
	}
	timeout := time.After(bound)
	for {
		select {
		case ev := <-evs:
			if ev.Kind == EventUpdate && ev.Member.ID == a.id && bytes.Equal(ev.Member.Meta, want) {
				goto tooLarge
			}
		case <-timeout:
			t.Fatal("no update event")
		}
	}
tooLarge:
	a.meta.Store(make([]byte, MaxAppMeta+1))
	if err := a.m.UpdateMeta(ctx); !errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("UpdateMeta with %d bytes: %v, want ErrMetaTooLarge", MaxAppMeta+1, err)
	}
}

func TestRestartRejoinsWithoutBootstrap(t *testing.T) {
	secret, nodes := mustCluster(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	waitFor(t, bound, "c remembers a and b", func() bool {
		recs, err := loadPeers(c.dir)
		if err != nil {
			return false
		}
		ids := make(map[[32]byte]bool)
		for _, r := range recs {
			ids[r.ID] = true
		}
		return ids[a.id] && ids[b.id]
	})
	c.stop()
	waitFor(t, bound, "a sees c dead", func() bool { return !a.m.Alive(c.id) })

	// Same id and directory, another port, no bootstrap peers.
	c2 := mustNode(t, secret, c.id, c.dir)
	ms := c2.m.Members()
	if len(ms) != 3 {
		t.Errorf("restarted node before rejoin: %d members, want itself and the 2 remembered", len(ms))
	}
	for _, mem := range ms {
		if mem.ID != c.id && (mem.Alive || mem.LastSeen.IsZero()) {
			t.Errorf("remembered %s: %+v, want not alive yet, with a last-seen time", mem.ID.Short(), mem)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if n, err := c2.m.RejoinKnown(ctx); n != 2 || err != nil {
		t.Fatalf("RejoinKnown: %d, %v; want 2, nil", n, err)
	}
	waitFor(t, bound, "restarted c sees a and b", func() bool { return c2.seesAlive(a, b) })
	waitFor(t, bound, "a and b see c again at its new address", func() bool {
		ma, _ := a.member(c.id)
		mb, _ := b.member(c.id)
		return ma.Alive && mb.Alive && ma.Addr == c2.addr && mb.Addr == c2.addr
	})
}

func TestRejoinRetriesInBackground(t *testing.T) {
	secret := mustSecret(t)
	a := mustNode(t, secret, [32]byte{}, "")
	// c remembers a peer that is not up yet: a's id at an address nobody
	// listens on, written as if from an earlier run.
	c := mustNode(t, secret, [32]byte{}, "")
	c.stop()
	if err := savePeers(c.dir, []peerRecord{{ID: a.id, Addr: a.addr, LastSeen: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	a.stop()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	c2 := mustNode(t, secret, c.id, c.dir)
	if n, err := c2.m.RejoinKnown(ctx); n != 0 || !errors.Is(err, ErrNoPeerAnswered) {
		t.Fatalf("RejoinKnown with the peer down: %d, %v", n, err)
	}
	// a comes back at the same address; the background loop finds it.
	a2 := mustNodeAt(t, secret, a.id, a.addr)
	waitFor(t, bound, "c rejoins a in the background", func() bool { return c2.seesAlive(a2) && a2.seesAlive(c2) })
}

func TestJoinWithWrongIDRefused(t *testing.T) {
	secret := mustSecret(t)
	a := mustNode(t, secret, [32]byte{}, "")
	b := mustNode(t, secret, [32]byte{}, "")
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	wrong := Peer{ID: mustID(t), Addr: a.addr}.String()
	n, err := b.m.Join(ctx, []string{wrong})
	if n != 0 || !errors.Is(err, ErrWrongID) {
		t.Fatalf("join %s: %d, %v; want 0, ErrWrongID", wrong, n, err)
	}
	if _, ok := a.member(b.id); ok {
		t.Errorf("a learnt of b although b's join was refused: %v", err)
	}
	if n, err := b.m.Join(ctx, []string{a.peer()}); n != 1 || err != nil {
		t.Fatalf("join %s: %d, %v", a.peer(), n, err)
	}
	waitFor(t, bound, "a and b see each other", func() bool { return a.seesAlive(b) && b.seesAlive(a) })
}

func TestMembersSorted(t *testing.T) {
	_, nodes := mustCluster(t, 3)
	ms := nodes[0].m.Members()
	if !slices.IsSortedFunc(ms, func(x, y Member) int { return bytes.Compare(x.ID[:], y.ID[:]) }) {
		t.Error("Members not sorted by id")
	}
}

func TestShutdownIdempotentAndClosesSubscriptions(t *testing.T) {
	a := mustNode(t, mustSecret(t), [32]byte{}, "")
	ch := a.m.Subscribe()
	a.stop()
	a.stop()
	if _, ok := <-ch; ok {
		t.Error("subscription open after shutdown")
	}
	if _, err := a.m.Join(context.Background(), []string{"127.0.0.1:1"}); !errors.Is(err, ErrShutdown) {
		t.Errorf("Join after shutdown: %v", err)
	}
	if err := a.m.Leave(time.Second); !errors.Is(err, ErrShutdown) {
		t.Errorf("Leave after shutdown: %v", err)
	}
}

func TestIdentityProbe(t *testing.T) {
	secret := mustSecret(t)
	a := mustNode(t, secret, [32]byte{}, "")
	b := mustNode(t, secret, [32]byte{}, "")
	d := mustNode(t, mustSecret(t), [32]byte{}, "")
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	got, err := probeID(ctx, b.streams, b.m.tr.key, a.addr)
	if err != nil || got != a.id {
		t.Fatalf("probe a from b: %s, %v; want %s", got.Short(), err, a.id.Short())
	}
	if _, err := probeID(ctx, d.streams, d.m.tr.key, a.addr); err == nil {
		t.Error("probe with another secret's key: no error")
	}
	// Gossip streams still work after probes: b joins a over a stream.
	if n, err := b.m.Join(ctx, []string{a.peer()}); n != 1 || err != nil {
		t.Fatalf("join after probes: %d, %v", n, err)
	}
	if _, ok := a.member(d.id); ok {
		t.Error("a learnt of the prober with another secret")
	}
}
