// Package cluster knows which nodes exist and which of them hold each of
// the 256 partitions: node identities, the layout (zones, capacities,
// replication factor) and the partition function. Its subpackages carry
// node-to-node RPC (cluster/rpc) and membership (cluster/membership).
//
// cluster imports nothing of garage-web's upper layers: table/ builds its
// placement on top of it, never the reverse.
package cluster
