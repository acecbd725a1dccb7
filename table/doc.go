// Package table implements replicated tables of CRDT entries: the layer
// between the S3 data model and local storage.
//
// # Basics
//
// A table is defined by a Schema: an entry type with a partition key, a sort
// key and a Merge method that is commutative, associative and idempotent,
// plus how to encode it. The hash of the partition key picks one of 256
// partitions; a Placement maps a partition to the replicas (Nodes) that hold
// it and gives the read and write quorums.
//
// Insert sends an entry to every replica of its partition and returns once
// a write quorum has merged it into stable storage. Get and Range read from
// a read quorum, merge what the replicas answered, and write the merged
// value back to replicas that were behind (read repair). InsertStamped
// writes like Insert and also returns the highest Schema.Stamp of what the
// replicas held before: a writer learns whether its entry is stamped after
// every acknowledged one in the same round trip as the write.
//
// Each replica applies writes locally (Local) in a bbolt transaction:
// it merges the new entry with the stored one and, if the result changed,
// calls the schema's Updated hook inside the same transaction. Hooks never
// write other tables directly: they enqueue work in a durable local queue
// (Tx.Enqueue) committed atomically with the change, and Queue workers
// carry it out afterwards through the replicated API. A crash between the
// two loses nothing: the queue is replayed on start.
//
// # Caveats
//
// table knows nothing about S3 or objects. Consistency is per entry only.
package table
