package membership

import (
	"context"
	"testing"
	"time"
)

// forgetful makes memberlist forget a dead node at once and reconnects
// often: what a partition longer than GossipToTheDeadTime leaves behind,
// without waiting for it.
func forgetful(cfg *Config) {
	cfg.gossipToTheDead = time.Nanosecond
	cfg.ReconnectInterval = 100 * time.Millisecond
}

// TestReconnectToFailedMember: b fails (no Leave) and a forgets it; b
// comes back at its address knowing nobody and joining nobody. Only a's
// reconnect loop can bring the two together again, as after a long
// partition heals.
func TestReconnectToFailedMember(t *testing.T) {
	secret := mustSecret(t)
	a := startNode(t, secret, mustID(t), "", "127.0.0.1:0", forgetful)
	b := startNode(t, secret, mustID(t), "", "127.0.0.1:0", forgetful)
	if _, err := b.m.Join(context.Background(), []string{a.peer()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bound, "a and b see each other", func() bool { return a.seesAlive(b) && b.seesAlive(a) })

	b.stop()
	waitFor(t, bound, "a sees b dead", func() bool { return !a.m.Alive(b.id) })
	if got := a.m.failedPeers(); len(got) != 1 || got[0] != b.peer() {
		t.Fatalf("a's failed peers = %q, want [%s]", got, b.peer())
	}

	// A fresh directory: b2 remembers no peer, and it joins none.
	b2 := startNode(t, secret, b.id, "", b.addr, forgetful)
	waitFor(t, bound, "a reconnects to b", func() bool { return a.seesAlive(b2) && b2.seesAlive(a) })
	if got := a.m.failedPeers(); len(got) != 0 {
		t.Errorf("a's failed peers after reconnecting = %q, want none", got)
	}
}
