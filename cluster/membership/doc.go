// Package membership tells which nodes of the cluster are up, on top of
// hashicorp/memberlist (SWIM gossip and failure detection).
//
// # Basics
//
// Each node runs one Membership. It gossips over UDP packets sent from a
// socket bound to the same host:port as the node's RPC TCP listener, and
// over streams (full state syncs, TCP fallback pings) that the RPC layer
// accepts and dials for it through a StreamTransport, so one port serves
// both RPC and gossip. Gossip is encrypted with AES-256-GCM under a key
// derived from the cluster secret: a process without the secret can
// neither join nor read what the members say.
//
// A member is named by its cluster.NodeID and advertises, in its memberlist
// metadata, its RPC address, its zone and a few bytes of application
// metadata (for example a digest of the layout it holds). Members returns
// every node seen since start or remembered from an earlier run, alive or
// not, with when it was last seen; Subscribe delivers join, leave and
// update events.
//
// The peers seen are written to Dir/peers whenever membership changes, so
// a restarted node finds its cluster again with RejoinKnown, without
// bootstrap peers.
//
// # Caveats
//
// Memberlist carries membership only: no application data goes through
// gossip. The metadata is limited (see MaxAppMeta) and is meant for small
// digests that tell a node to fetch something over RPC.
//
// A peer given as "ID@host:port" is checked: the node answering at that
// address must have that id. Before any gossip goes to it, a small
// identity probe on a gossip stream asks the node there for its id (with
// a MAC under the gossip key); a node with another id is refused with
// ErrWrongID. Should the probe go unanswered, the join goes on and the
// member found at that address afterwards is checked instead.
package membership
