package model

import (
	"context"

	"github.com/garage-web/garage-web/storage"
)

// Storing a block whose content address is already known.
//
// A block's address is the SHA-256 of its bytes. When a block is a whole
// request body whose SHA-256 the request signed (SigV4 with
// x-amz-content-sha256: <hex digest>), the signature check has hashed
// exactly these bytes already: the block is stored under that digest
// instead of being hashed a second time.

// BodySHA256 returns the SHA-256 of every byte a body returned, checked
// by the body itself, once it has returned io.EOF; nil when unknown. It
// must never return anything but the hash of exactly those bytes: a wrong
// value would store the block under another block's address.
type BodySHA256 func() []byte

// hashedWriter is a Blocks that stores a block under a hash its caller
// computed (storage.BlockStore, blockrepl.Store).
type hashedWriter interface {
	WriteHashed(ctx context.Context, h storage.Hash, data []byte) error
}

// writeBlock stores data, the whole body that sum (possibly nil)
// describes, and returns its hash: sum's value when it has one and the
// block store takes it, else the hash of data.
func (m *Model) writeBlock(ctx context.Context, data []byte, sum BodySHA256) (storage.Hash, error) {
	if hw, ok := m.blocks.(hashedWriter); ok && sum != nil {
		if s := sum(); len(s) == storage.HashSize {
			var h storage.Hash
			copy(h[:], s)
			return h, hw.WriteHashed(ctx, h, data)
		}
	}
	return m.blocks.Write(ctx, data)
}
