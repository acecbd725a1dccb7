package cluster

import "errors"

// Errors of the layout. Callers test them with errors.Is; the returned
// errors wrap them with the details.
var (
	// ErrInvalidRole: a role without zone, a storage node without
	// capacity, or a gateway with one.
	ErrInvalidRole = errors.New("invalid node role")
	// ErrInvalidReplicationFactor: outside MinReplicationFactor..MaxReplicationFactor.
	ErrInvalidReplicationFactor = errors.New("invalid replication factor")
	// ErrUnknownNode: removing a node that has no role, applied or staged.
	ErrUnknownNode = errors.New("node not in layout")
	// ErrNotEnoughNodes: fewer storage nodes than the replication factor.
	ErrNotEnoughNodes = errors.New("not enough storage nodes")
	// ErrVersionMismatch: Apply called with a version other than Version()+1.
	ErrVersionMismatch = errors.New("wrong layout version")
	// ErrInvalidCapacity: a capacity string ParseCapacity cannot read.
	ErrInvalidCapacity = errors.New("invalid capacity")
	// ErrLayoutFormat: an encoded layout that cannot be decoded.
	ErrLayoutFormat = errors.New("invalid layout encoding")
)
