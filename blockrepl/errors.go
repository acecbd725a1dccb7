package blockrepl

import (
	"errors"

	"github.com/garage-web/garage-web/cluster"
)

// Errors returned by Store. Reads also wrap storage.ErrBlockNotFound and
// storage.ErrCorrupt, so callers keep matching them with errors.Is.
var (
	// ErrQuorum means too few replicas stored a block (Write) or could be
	// asked for it (ReadPooled) for the operation to succeed. It is
	// cluster.ErrQuorum, as table.ErrQuorum is: the S3 layer answers 503
	// Service Unavailable, and the client may retry.
	ErrQuorum = cluster.ErrQuorum

	// ErrBadRequest means a replica refused a request as malformed: an
	// unknown format version, a short header, or a block whose bytes do
	// not match the hash it was sent with.
	ErrBadRequest = errors.New("bad block request")

	// ErrRemote means a replica failed to serve a request it understood
	// (a disk error, for example); the message says why.
	ErrRemote = errors.New("replica error")
)
