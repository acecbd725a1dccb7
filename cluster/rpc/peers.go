package rpc

import (
	"context"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// rttWeight is the weight of a new sample in the moving average of RTT.
const rttWeight = 0.2

// Ping calls PingMethod on node to at addr and returns the round trip
// time, which also updates RTT(to).
func (c *Client) Ping(ctx context.Context, to cluster.NodeID, addr string) (time.Duration, error) {
	start := time.Now()
	if _, err := c.Call(ctx, to, addr, PingMethod, nil); err != nil {
		return 0, err
	}
	d := time.Since(start)
	c.mu.Lock()
	if old, ok := c.rtt[to]; ok {
		c.rtt[to] = time.Duration((1-rttWeight)*float64(old) + rttWeight*float64(d))
	} else {
		c.rtt[to] = d
	}
	c.mu.Unlock()
	return d, nil
}

// RTT returns the moving average of the round trip times Ping measured
// to node id; false if it was never pinged successfully.
func (c *Client) RTT(id cluster.NodeID) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.rtt[id]
	return d, ok
}

// Peers calls nodes by id alone, looking up their addresses; it
// satisfies table's Caller interface.
type Peers struct {
	c      *Client
	addrOf func(cluster.NodeID) (string, bool)
}

// Bind returns Peers that find a node's address with addrOf (typically
// the membership's view; it must be safe for concurrent use).
func (c *Client) Bind(addrOf func(cluster.NodeID) (string, bool)) *Peers {
	return &Peers{c: c, addrOf: addrOf}
}

// Call is Client.Call to the node's current address; a node without a
// known address is unreachable.
func (p *Peers) Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error) {
	addr, err := p.addr(to)
	if err != nil {
		return nil, err
	}
	return p.c.Call(ctx, to, addr, method, body)
}

// Ping is Client.Ping to the node's current address.
func (p *Peers) Ping(ctx context.Context, to cluster.NodeID) (time.Duration, error) {
	addr, err := p.addr(to)
	if err != nil {
		return 0, err
	}
	return p.c.Ping(ctx, to, addr)
}

// RTT is Client.RTT.
func (p *Peers) RTT(id cluster.NodeID) (time.Duration, bool) { return p.c.RTT(id) }

func (p *Peers) addr(id cluster.NodeID) (string, error) {
	addr, ok := p.addrOf(id)
	if !ok {
		return "", fmt.Errorf("rpc to %s: %w: no known address", id.Short(), ErrUnreachable)
	}
	return addr, nil
}
