package membership_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/cluster/membership"
)

// Two nodes on loopback with plain TCP streams: the second joins the first
// with "ID@host:port" and both see each other alive.
func Example() {
	secret := make([]byte, membership.SecretLen)
	_, _ = rand.Read(secret)
	start := func(zone string) (*membership.Membership, *membership.TCPStreams) {
		st, err := membership.ListenTCPStreams("127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		m, err := membership.New(membership.Config{
			ID:       cluster.NodeIDOf(pub),
			BindAddr: st.Addr().String(), // UDP on the streams' port
			Zone:     zone,
			Secret:   secret,
			Log:      slog.New(slog.DiscardHandler),
			Streams:  st,
		})
		if err != nil {
			panic(err)
		}
		return m, st
	}
	a, sa := start("paris")
	defer func() { _ = sa.Close() }()
	defer func() { _ = a.Shutdown() }()
	b, sb := start("lyon")
	defer func() { _ = sb.Close() }()
	defer func() { _ = b.Shutdown() }()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	peer := membership.Peer{ID: a.ID(), Addr: a.Local().Addr}.String()
	n, err := b.Join(ctx, []string{peer})
	fmt.Println("joined", n, err)
	for !a.Alive(b.ID()) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	for _, mem := range a.Members() {
		fmt.Println(mem.Zone, mem.Alive)
	}
	// Unordered output:
	// joined 1 <nil>
	// paris true
	// lyon true
}
