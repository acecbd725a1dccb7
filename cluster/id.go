package cluster

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
)

// NodeID names a node: the Ed25519 public key of its identity, so a peer
// that proves it holds the matching private key (the RPC layer's mutual
// TLS does) is that node.
type NodeID [ed25519.PublicKeySize]byte

// String returns the id in hex, 64 characters.
func (id NodeID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 16 hex characters, for tables and logs.
func (id NodeID) Short() string { return id.String()[:16] }

// IsZero reports whether id is the zero value.
func (id NodeID) IsZero() bool { return id == NodeID{} }

// PublicKey returns the id as an Ed25519 public key.
func (id NodeID) PublicKey() ed25519.PublicKey { return ed25519.PublicKey(id[:]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (id NodeID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *NodeID) UnmarshalText(b []byte) error {
	p, err := ParseNodeID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// ParseNodeID parses a 64-character hex node id.
func ParseNodeID(s string) (NodeID, error) {
	var id NodeID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("node id %q: want %d hex characters, got %d", s, 2*len(id), len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("node id %q: %w", s, err)
	}
	return id, nil
}

// NodeIDOf returns the id of the node whose public key is pub.
func NodeIDOf(pub ed25519.PublicKey) NodeID {
	var id NodeID
	copy(id[:], pub)
	return id
}
