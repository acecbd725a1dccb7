package membership

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
)

// Join contacts each peer ("ID@host:port" or "host:port"), all at once,
// and syncs state with it; it returns how many answered. The error lists
// every peer that failed, so it may be non-nil with n > 0; with n == 0 it
// wraps ErrNoPeerAnswered (unless peers is empty: 0, nil). A peer given
// with an id is refused with ErrWrongID if the node at that address has
// another id.
func (m *Membership) Join(ctx context.Context, peers []string) (int, error) {
	if m.isClosed() {
		return 0, ErrShutdown
	}
	if len(peers) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-m.done: // Shutdown aborts joins under way
			cancel()
		case <-ctx.Done():
		}
	}()
	errs := make([]error, len(peers))
	var wg sync.WaitGroup
	for i, s := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := ParsePeer(s)
			if err == nil {
				err = m.joinPeer(ctx, p)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	err := errors.Join(errs...)
	if n == 0 {
		return 0, fmt.Errorf("%w: %w", ErrNoPeerAnswered, err)
	}
	return n, err
}

// joinPeer joins one peer and checks its id when given.
func (m *Membership) joinPeer(ctx context.Context, p Peer) error {
	host, sport, err := net.SplitHostPort(p.Addr)
	if err != nil {
		return fmt.Errorf("join %s: %w", p, err)
	}
	if _, err := strconv.ParseUint(sport, 10, 16); err != nil {
		return fmt.Errorf("join %s: port %q: %w", p, sport, err)
	}
	ips, err := resolveHost(ctx, host)
	if err != nil {
		return fmt.Errorf("join %s: %w", p, err)
	}
	addrs := make([]string, len(ips))
	for i, ip := range ips {
		addrs[i] = net.JoinHostPort(ip.String(), sport)
	}
	if !p.ID.IsZero() {
		if err := m.precheckID(ctx, p, addrs[0]); err != nil {
			return err
		}
	}
	// memberlist's Join takes no context; it is bounded by TCPTimeout.
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := m.ml.Join(addrs)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.n == 0 {
			return fmt.Errorf("join %s: %w", p, r.err)
		}
	case <-ctx.Done():
		return fmt.Errorf("join %s: %w", p, ctx.Err())
	}
	if !p.ID.IsZero() {
		return m.checkID(p, addrs)
	}
	return nil
}

// precheckID asks the node at the peer's address for its id (an identity
// probe, see idprobe.go) before any gossip goes to it, and refuses a node
// with another id. If the probe gets no answer, the join and checkID
// decide.
func (m *Membership) precheckID(ctx context.Context, p Peer, addr string) error {
	got, err := probeID(ctx, m.cfg.Streams, m.tr.key, addr)
	if err != nil {
		m.log.Debug("membership: identity probe failed", "peer", p.String(), "err", err)
		return nil
	}
	if got != p.ID {
		return fmt.Errorf("join %s: %w: %s is node %s", p, ErrWrongID, p.Addr, got)
	}
	return nil
}

// checkID verifies, after joining, that the member at the peer's address
// has the expected id. Behind a NAT the peer may advertise another address
// than the one dialled; then it is enough that the id is a member.
func (m *Membership) checkID(p Peer, addrs []string) error {
	var found []string
	for _, n := range m.ml.Members() {
		meta, _ := decodeMeta(n.Meta)
		if slices.Contains(addrs, n.Address()) || meta.Addr == p.Addr {
			if n.Name == p.ID.String() {
				return nil
			}
			found = append(found, n.Name)
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("join %s: %w: %s is node %s", p, ErrWrongID, p.Addr, found[0])
	}
	if m.Alive(p.ID) {
		return nil
	}
	return fmt.Errorf("join %s: %w: no member has id %s", p, ErrWrongID, p.ID)
}
