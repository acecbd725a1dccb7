package model

import "time"

// Upload block buffers (Model.bufs) are kept in a storage.BufPool, which
// garbage collections do not empty: under memory_limit with the block
// cache warm the collector runs many times a second during a large
// upload, and a sync.Pool gave most blocks a freshly allocated buffer.
const (
	// keepBlockBufs bounds the idle upload buffers kept for reuse (8 MiB
	// with 1 MiB blocks); an upload has at most 6 in use.
	keepBlockBufs = 8
	// idleBlockBufs is how long they are kept once no upload takes one.
	idleBlockBufs = 30 * time.Second
)
