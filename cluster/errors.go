package cluster

import "errors"

// ErrQuorum means too few replicas answered for an operation to succeed:
// a table write or read, or a block write, short of its quorum. Every
// layer that replicates returns errors wrapping this one value, so the
// front ends map one error to 503 Service Unavailable.
var ErrQuorum = errors.New("quorum not reached")
