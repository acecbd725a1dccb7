package rpc

import (
	"context"
	"errors"
	"fmt"
)

// Error codes the package itself produces. Handlers may use their own.
const (
	CodeInternal      = "internal"       // the handler failed without an *Error
	CodeUnknownMethod = "unknown_method" // no handler registered under that name
	CodeTooLarge      = "too_large"      // a body exceeded its limit
	CodeBadRequest    = "bad_request"    // malformed request
	CodeTimeout       = "timeout"        // the handler ran out of time on the server
	CodeCanceled      = "canceled"       // the handler's context was canceled
)

// Error is an error a remote handler answered with. A handler that
// returns (or wraps) an *Error gets its Code and Message to the caller
// intact; any other handler error arrives with Code CodeInternal and the
// error's text as Message. Codes are 1 to 128 characters of
// [A-Za-z0-9._-]; any other code arrives as CodeInternal.
type Error struct {
	Code    string
	Message string
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return "rpc: " + e.Code + ": " + e.Message }

// Unwrap makes errors.Is(err, context.DeadlineExceeded) true for a
// CodeTimeout answer, and errors.Is(err, context.Canceled) for CodeCanceled.
func (e *Error) Unwrap() error {
	switch e.Code {
	case CodeTimeout:
		return context.DeadlineExceeded
	case CodeCanceled:
		return context.Canceled
	}
	return nil
}

// Is makes errors.Is(err, &Error{Code: c}) true for any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

var (
	// ErrUnreachable is wrapped by every error of a call that got no
	// answer from the peer: dial, TLS handshake, timeout, lost connection,
	// malformed response, or a different node at the address.
	ErrUnreachable = errors.New("rpc: peer unreachable")

	// ErrWrongNode is wrapped (along with ErrUnreachable) when the peer at
	// the address proves to be another node than the one dialled.
	ErrWrongNode = errors.New("rpc: wrong node at address")

	// ErrServerClosed is returned by Server.Serve after Server.Close.
	ErrServerClosed = errors.New("rpc: server closed")
)

// unreachable wraps err with ErrUnreachable and the call's context.
func unreachable(what string, err error) error {
	if errors.Is(err, ErrUnreachable) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrUnreachable, err)
}
