package rpc

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// nextStream takes the next gossip stream of n, failing after a while.
func nextStream(t *testing.T, n *node) net.Conn {
	t.Helper()
	select {
	case c := <-n.srv.GossipStreams():
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no gossip stream arrived")
		return nil
	}
}

func TestGossipStream(t *testing.T) {
	secret := mustSecret(t)
	a := mustNode(t, secret, 1, nil, nil)
	b := mustNode(t, secret, 1, nil, nil)
	ctx := testCtx(t)

	// A process without the secret cannot open a stream...
	intruder := mustNode(t, mustSecret(t), 1, nil, nil)
	if c, err := intruder.cli.DialGossip(ctx, b.addr); err == nil {
		// TLS 1.3: the refusal may only show on first use.
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = c.Write([]byte("hello"))
		if n, err := c.Read(make([]byte, 1)); err == nil || n != 0 {
			t.Fatal("intruder's gossip stream works")
		}
		c.Close()
	} else if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("intruder dial: %v", err)
	}
	// ...nor does a node with the secret accept a server without it.
	if _, err := a.cli.DialGossip(ctx, intruder.addr); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("dial to a server with another secret: %v", err)
	}

	cc, err := a.cli.DialGossip(ctx, b.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if err := cc.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// The first stream b sees is a's: the intruder's never got through.
	sc := nextStream(t, b)
	if err := sc.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if id, ok := PeerID(sc); !ok || id != a.id.ID {
		t.Fatalf("server side: peer %v %v, want %v", id, ok, a.id.ID)
	}
	if id, ok := PeerID(cc); !ok || id != b.id.ID {
		t.Fatalf("client side: peer %v %v, want %v", id, ok, b.id.ID)
	}
	if _, err := cc.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(sc, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q, %v", buf, err)
	}
	if _, err := sc.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(cc, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("client read %q, %v", buf, err)
	}
	// RPC keeps working on the same port.
	if _, err := a.cli.Call(ctx, b.id.ID, b.addr, PingMethod, nil); err != nil {
		t.Fatal(err)
	}
}
