package membership

import (
	"context"
	"net"
)

// StreamTransport carries memberlist's streams (full state syncs and
// fallback pings) over the node's RPC port. The RPC layer implements it
// with its authenticated side door; TCPStreams is a plain one for tests.
//
// Implementations must be safe for concurrent use.
type StreamTransport interface {
	// Streams returns the channel of accepted stream connections, already
	// authenticated. It is never closed; the receiver owns each conn.
	Streams() <-chan net.Conn
	// DialStream opens a stream to the node whose RPC port is addr
	// (host:port). ctx bounds the dial only: the conn outlives it.
	DialStream(ctx context.Context, addr string) (net.Conn, error)
}
