package table

import (
	"context"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/garage-web/garage-web/cluster"
)

// wireVersion is the first byte of every table RPC request and response
// body; the rest is CBOR. A node refuses bodies of a version it does not
// know, so a mixed-version cluster fails loudly instead of misreading.
const wireVersion = 1

// decMode decodes RPC bodies. Range answers may hold many entries.
var decMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxArrayElements: 1 << 24}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// envelope is a response: the result, or a table error that must keep its
// identity on the caller's side.
type envelope[T any] struct {
	Err *wireError `cbor:"1,keyasint,omitempty"`
	Res T          `cbor:"2,keyasint"`
}

// wireError is an error returned by a table operation on the remote node.
type wireError struct {
	Code    string `cbor:"1,keyasint"`
	Message string `cbor:"2,keyasint"`
}

// Error codes of wireError, one per sentinel that callers test with
// errors.Is. Any other error travels as codeOther with its message.
var errorCodes = []struct {
	code string
	err  error
}{
	{"unknown_table", ErrUnknownTable},
	{"quorum", ErrQuorum},
	{"node_down", ErrNodeDown},
	{"deadline", context.DeadlineExceeded},
	{"canceled", context.Canceled},
}

const codeOther = "error"

func toWireError(err error) *wireError {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return &wireError{Code: c.code, Message: err.Error()}
		}
	}
	return &wireError{Code: codeOther, Message: err.Error()}
}

// RemoteError is an error a remote node's table operation returned. It
// matches (errors.Is) the sentinel its code names, if any.
type RemoteError struct {
	Node    string
	Code    string
	Message string
}

func (e *RemoteError) Error() string { return "node " + e.Node + ": " + e.Message }

// Unwrap returns the sentinel of the error's code, or nil.
func (e *RemoteError) Unwrap() error {
	for _, c := range errorCodes {
		if c.code == e.Code {
			return c.err
		}
	}
	return nil
}

func encodeWire(v any) ([]byte, error) {
	b, err := cbor.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{wireVersion}, b...), nil
}

func decodeWire(body []byte, v any) error {
	if len(body) == 0 {
		return errors.New("empty table RPC body")
	}
	if body[0] != wireVersion {
		return fmt.Errorf("table RPC body of format version %d, want %d", body[0], wireVersion)
	}
	return decMode.Unmarshal(body[1:], v)
}

// call sends req to method on node to and decodes the answer.
func call[Req, Res any](ctx context.Context, c Caller, to cluster.NodeID, method string, req Req) (Res, error) {
	var zero Res
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	body, err := encodeWire(req)
	if err != nil {
		return zero, fmt.Errorf("%s: encode request: %w", method, err)
	}
	out, err := c.Call(ctx, to, method, body)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return zero, fmt.Errorf("%s to %s: %w (%v)", method, to.Short(), ctxErr, err)
		}
		return zero, fmt.Errorf("%s to %s: %w", method, to.Short(), err)
	}
	var env envelope[Res]
	if err := decodeWire(out, &env); err != nil {
		return zero, fmt.Errorf("%s from %s: decode response: %w", method, to.Short(), err)
	}
	if env.Err != nil {
		return zero, &RemoteError{Node: to.Short(), Code: env.Err.Code, Message: env.Err.Message}
	}
	return env.Res, nil
}

// serve adapts a typed handler to the Registrar's byte interface. A body
// that cannot be decoded is a transport-level error; an error of h travels
// in the response so that it keeps its identity.
func serve[Req, Res any](h func(ctx context.Context, from cluster.NodeID, req Req) (Res, error)) func(context.Context, cluster.NodeID, []byte) ([]byte, error) {
	return func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
		var req Req
		if err := decodeWire(body, &req); err != nil {
			return nil, fmt.Errorf("decode request: %w", err)
		}
		res, err := h(ctx, from, req)
		env := envelope[Res]{Res: res}
		if err != nil {
			env = envelope[Res]{Err: toWireError(err)}
		}
		return encodeWire(env)
	}
}
