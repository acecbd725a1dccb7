// Package model is the S3 data model stored as replicated CRDT tables:
// access keys, buckets and their global names, objects and their versions,
// the block lists of object data, block references and multipart parts.
//
// # Tables
//
//	keys        pk ""          sk access key id   Key
//	buckets     pk ""          sk bucket id       Bucket
//	aliases     pk ""          sk global name     Alias (name -> bucket id)
//	objects     pk bucket id   sk object key      Object (its versions)
//	blocklists  pk data id     sk offset          BlockListEntry (one block)
//	blockrefs   pk block hash  sk data id+offset  BlockRef (counts users)
//	parts       pk upload id   sk part number     Part (one multipart part)
//	certfiles   pk ""          sk storage key     TLS certificates and ACME data
//	certlocks   pk ""          sk lock name       lease claims of the cert lock
//
// Data ids name a stream of bytes cut into blocks: a single PUT's data id
// is its version id, each uploaded multipart part has its own. Adding a
// block or a part inserts one small entry; nothing is rewritten, so a
// 10,000-part upload costs 10,000 inserts and one completion, not 10,000²
// bytes.
//
// # Life of data
//
// A PUT writes its blocks, one blocklists entry per block, then the
// complete object version. The blocklists hook enqueues a blockrefs insert
// for each new block, and the blockrefs hook keeps the local reference
// count. When an object version is superseded or aborted, the objects hook
// enqueues the release of its data ids: their block list entries are marked
// deleted, which releases the block references, and the storage collector
// deletes blocks whose count stayed at zero for a while. Every step is an
// idempotent CRDT write driven by a durable queue, so a crash at any point
// only delays it.
package model
