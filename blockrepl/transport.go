package blockrepl

import (
	"context"

	"github.com/garage-web/garage-web/cluster"
)

// RPC method names served by Register.
const (
	MethodPut = "block.put"
	MethodGet = "block.get"
	MethodHas = "block.has"
)

// Caller sends one request to a node and returns its answer. It must be
// safe for concurrent use and honour ctx's deadline. An error means the
// call itself failed (unreachable node, timeout, transport error); answers
// of the remote handler travel in the returned body.
type Caller interface {
	Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error)
}

// Registrar routes incoming requests for a method to its handler. from is
// the authenticated caller. A handler does not keep the request body after
// it returns; the transport sends the response body as is. The handlers
// blockrepl registers answer every request with a body carrying a status
// and return a nil error.
type Registrar interface {
	Handle(method string, h func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error))
}
