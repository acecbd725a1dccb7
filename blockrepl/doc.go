// Package blockrepl stores data blocks on the replicas of each block's own
// partition and reads them back from the nearest replica that holds a good
// copy.
//
// # Basics
//
// Store implements the two methods model.Blocks needs (Write and
// ReadPooled) over a cluster: the model uses it exactly as it uses a local
// storage.BlockStore. Register serves the other side: the RPC methods
// "block.put", "block.get" and "block.has" over a node's local BlockStore.
//
// A block lives in partition Partition(h): the first byte of the SHA-256 of
// the 32 bytes of its hash. That is the partition a table entry whose
// partition key is those 32 bytes falls in (table.HashPartitionKey(h[:]).
// Partition()), so blocks and their block-reference entries are placed by
// one function. Config.Replicas maps a block to that partition's nodes.
//
// Write hashes the block once and sends it to every replica in parallel
// (the local node's copy goes straight to its BlockStore). It returns once
// WriteQuorum replicas have it on stable storage; the others finish in the
// background, each bounded by Config.WriteTimeout. A node that Alive
// reports dead fails at once. Too few replicas, or too few successes, is
// an error wrapping ErrQuorum; the quorum is never lowered to fit.
//
// ReadPooled tries the replicas in order of preference: the local node,
// then nodes in the local zone, then the lowest measured round-trip time,
// then the rest. Every copy is checked against its hash; a bad copy is
// logged, counted (garageweb_block_corrupt_remote_total for remote ones),
// reported through Config.OnBadCopy, and the next replica is tried. Bad
// bytes are never returned.
//
// # Resync, scrub and collection
//
// A Resyncer (NewResyncer) keeps a node's disk in line with its
// partitions. Its queue is persistent (storage.RefCounts keeps it) and is
// fed when a block's count leaves zero (in the transaction that counts
// it), when a read misses or finds corrupt a local copy, and by ScanAll.
// For each block it fetches a missing or corrupt copy from another holder
// (checked against its hash) when the node holds the block's partition
// and counts a reference to it; when the node no longer holds the
// partition it puts the block on every holder that lacks it (block.has,
// then block.put) and deletes the local copy only once all of them have
// it. A failure is retried with back-off; a block never leaves the queue
// unfixed. Scrub re-reads every block and repairs corrupt ones the same
// way. Collect deletes a block only when its local count has been zero
// for the GC delay, its file is older than that, and every other holder
// answers block.refs that it neither references it nor wrote it recently
// (a holder that cannot be asked keeps the block); then it sweeps files
// that no count entry knows of after OrphanDelay. Resync and scrub each
// read or send at most Rate bytes per second and idle Tranquility times
// as long as each step took.
//
// # Wire format
//
// Requests are one format-version byte, the 32-byte hash, and for
// block.put the block itself. Responses are one format-version byte, one
// status byte (ok, not found, corrupt, bad request, error) and a payload:
// the block for a successful block.get, a message for an error. Status
// codes travel in the body, so they survive any transport.
//
// # Caveats
//
// The transport is abstracted by Caller and Registrar; blockrepl does not
// know how nodes reach each other. A block stored on a remote node by
// block.put has no reference count there: reference counting and the
// collection of unreferenced blocks belong to the block reference table.
// Writing a block that a node already holds only refreshes the file's
// modification time, even if that file is corrupt: repairing a corrupt
// copy means removing it first (storage's scrub moves corrupt files aside).
package blockrepl
