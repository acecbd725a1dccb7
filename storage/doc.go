// Package storage is a node's local persistence: metadata in one bbolt
// database and data blocks as content-addressed files.
//
// # Basics
//
// DB wraps a bbolt database. Writes go through DB.Batch, so concurrent
// writers share one commit (and one fsync); reads use DB.View. Values must
// be copied out of a transaction before it ends.
//
// BlockStore keeps each data block in a file named by the SHA-256 of its
// plaintext under dir/hh/hh/. A block is written to a temporary file,
// fsynced, renamed into place and its directory fsynced, so a block that a
// caller was told is stored survives a crash. Every read checks the
// block: a corrupted block is never returned (ErrCorrupt). A file this
// store wrote carries a CRC-32C of its bytes in an extended attribute
// (blockcheck.go) and is checked against it; any other file, and every
// file Scrub or Verify reads, is re-hashed with SHA-256.
//
// Reference counts (RefCounts) live in the metadata database. A block whose
// count drops to zero is deleted by the collector only after a delay and
// only if its file has not been written again in that time, so a block
// being re-used by a concurrent upload is never lost.
//
// RefCounts also keeps the block resync queue (a block enters it when its
// count leaves zero, in the same transaction) and the time of the last
// complete scrub, so that both survive a restart.
//
// # Caveats
//
// storage knows nothing about tables, objects or S3. Callers own the
// mapping from their data to blocks.
package storage
