package membership

import "errors"

// Errors returned by this package; test them with errors.Is.
var (
	// ErrWrongID: the node answering at a peer address has another id
	// than the one given in "ID@host:port".
	ErrWrongID = errors.New("membership: node at that address has another id")

	// ErrNoPeerAnswered: Join or RejoinKnown reached none of the peers.
	ErrNoPeerAnswered = errors.New("membership: no peer answered")

	// ErrMetaTooLarge: the application metadata is over MaxAppMeta bytes.
	ErrMetaTooLarge = errors.New("membership: application metadata too large")

	// ErrShutdown: the Membership was shut down.
	ErrShutdown = errors.New("membership: shut down")

	// ErrBadConfig: the Config is incomplete or invalid.
	ErrBadConfig = errors.New("membership: bad config")
)
