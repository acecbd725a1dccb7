// Package rpc carries node-to-node calls: HTTP/2 over mutual TLS, one TCP
// port per node, shared with memberlist's gossip streams.
//
// # Trust
//
// Every node of a cluster holds the same 32-byte rpc secret. From it each
// node derives, deterministically, the same cluster certificate authority
// (an Ed25519 key from HKDF-SHA256 of the secret, and a self-signed
// certificate with fixed fields, so every node builds the identical
// certificate). At start a node issues itself a leaf certificate for its
// identity key (cluster.Identity), signed by that CA. Both ends of every
// connection present their leaf and require the other's to chain to the
// CA; the peer's cluster.NodeID is its leaf's public key. A process
// without the secret fails the TLS handshake and never reaches a handler.
// Anyone who holds the secret can mint a certificate for any node id: the
// secret is the cluster's root of trust, not the node keys.
//
// # Calls
//
// A call is a POST of an opaque body to a named method; the answer is an
// opaque body or an *Error. Every request carries the caller's remaining
// deadline (DefaultTimeout when its context has none, at most MaxTimeout)
// and the server runs the handler under it. Every request and every
// response carries the sender's hybrid clock reading, which the receiver
// feeds to its Clock. Bodies are limited to MaxRequestBody and
// MaxResponseBody. Failures to get an answer at all (dial, TLS, timeout,
// connection lost, wrong node at the address) satisfy
// errors.Is(err, ErrUnreachable); the call may or may not have run on the
// peer. An error returned by the remote handler comes back as an *Error.
//
// # Gossip
//
// Connections that negotiate the ALPN protocol GossipALPN are not HTTP:
// the server hands them, already authenticated, to Server.GossipStreams,
// and Client.DialGossip opens them, for memberlist's stream transport.
//
// # Concurrency
//
// Server and Client are safe for concurrent use. Handlers run
// concurrently, one goroutine per call.
package rpc
