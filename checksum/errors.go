package checksum

import (
	"errors"
	"fmt"
)

// Kinds of refusal. Every error New and Reader.Read return for a bad
// request is an *Error whose Kind is one of these, so callers test them
// with errors.Is and map them to their own protocol's errors (the S3 front
// end answers InvalidDigest, BadDigest and InvalidRequest).
var (
	// ErrInvalidDigest: a malformed Content-MD5 (or trailing value).
	ErrInvalidDigest = errors.New("invalid digest")
	// ErrBadDigest: the body does not match a declared digest.
	ErrBadDigest = errors.New("bad digest")
	// ErrInvalidRequest: an unknown algorithm, a malformed checksum value,
	// several checksums at once, or a declared trailer that never came.
	ErrInvalidRequest = errors.New("invalid checksum request")
)

// Error is a refused upload: Kind says which refusal, Message says why in
// words a client can act on.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }

func refuse(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
