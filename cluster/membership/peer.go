package membership

import (
	"fmt"
	"net"
	"strings"

	"github.com/garage-web/garage-web/cluster"
)

// Peer is a node to join: an address and, when known, the id the node
// there must have.
type Peer struct {
	ID   cluster.NodeID // zero when not given
	Addr string         // host:port
}

// ParsePeer parses "ID@host:port" or "host:port".
func ParsePeer(s string) (Peer, error) {
	var p Peer
	addr := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		id, err := cluster.ParseNodeID(s[:i])
		if err != nil {
			return p, fmt.Errorf("peer %q: %w", s, err)
		}
		p.ID, addr = id, s[i+1:]
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return p, fmt.Errorf("peer %q: %w", s, err)
	}
	if host == "" || port == "" {
		return p, fmt.Errorf("peer %q: want host:port", s)
	}
	p.Addr = addr
	return p, nil
}

// String returns the peer as ParsePeer reads it.
func (p Peer) String() string {
	if p.ID.IsZero() {
		return p.Addr
	}
	return p.ID.String() + "@" + p.Addr
}
