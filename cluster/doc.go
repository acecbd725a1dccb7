// Package cluster knows which nodes exist and which of them hold each of
// the 256 partitions: the layout (zones, capacities, replication factor)
// and, in a multi-node cluster, membership and RPC between nodes.
//
// Today garage-web runs as a cluster of one: Single places every partition
// on the local node. The table layer only sees the table.Placement
// interface, so adding nodes adds an implementation here, not a rewrite of
// the layers above.
package cluster
