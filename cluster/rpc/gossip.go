package rpc

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/garage-web/garage-web/cluster"
)

// DialGossip opens a gossip stream to the node at addr: a TLS connection
// that negotiated GossipALPN with a peer whose certificate chains to the
// cluster CA (any node of the cluster; memberlist learns which from the
// stream). The dial and handshake end at ctx's deadline or after 10 s.
// Errors wrap ErrUnreachable.
func (c *Client) DialGossip(ctx context.Context, addr string) (net.Conn, error) {
	tc, err := c.dialNode(ctx, addr, GossipALPN, cluster.NodeID{})
	if err != nil {
		return nil, unreachable("rpc gossip stream to "+addr, err)
	}
	return tc, nil
}

// PeerID returns the node at the other end of a connection from
// Server.GossipStreams or Client.DialGossip.
func PeerID(conn net.Conn) (cluster.NodeID, bool) {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return cluster.NodeID{}, false
	}
	id, err := peerID(tc.ConnectionState())
	return id, err == nil
}
