package blockrepl

import (
	"context"
	"errors"
	"log/slog"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// Register serves block.put, block.get and block.has on r from the local
// block store. log may be nil.
//
//   - block.put checks that the block matches the hash it came with, then
//     stores it with local.Write, which answers only once the block is on
//     stable storage.
//   - block.get reads the block with its hash check: a corrupt copy is
//     answered with the corrupt status, never with its bytes.
//   - block.has reports whether a file for the block exists (unverified).
func Register(r Registrar, local *storage.BlockStore, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{local: local, log: log}
	r.Handle(MethodPut, s.put)
	r.Handle(MethodGet, s.get)
	r.Handle(MethodHas, s.has)
}

// server holds the handlers' state.
type server struct {
	local *storage.BlockStore
	log   *slog.Logger
}

func (s *server) put(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
	h, data, err := decodeRequest(body)
	if err != nil {
		return encodeResponse(statusBadRequest, []byte(err.Error())), nil
	}
	if got := storage.HashOf(data); got != h {
		s.log.Warn("block put: bytes do not match their hash", "from", from.Short(), "hash", h, "got", got, "bytes", len(data))
		return encodeResponse(statusBadRequest, []byte("block bytes hash to "+got.String()+", not "+h.String())), nil
	}
	if err := s.local.WriteHashed(ctx, h, data); err != nil { // hash checked above
		s.log.Error("block put: store", "from", from.Short(), "hash", h, "err", err)
		return encodeResponse(statusError, []byte(err.Error())), nil
	}
	return encodeResponse(statusOK, nil), nil
}

func (s *server) get(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
	h, _, err := decodeRequest(body)
	if err != nil {
		return encodeResponse(statusBadRequest, []byte(err.Error())), nil
	}
	data, release, err := s.local.ReadPooled(ctx, h)
	switch {
	case errors.Is(err, storage.ErrBlockNotFound):
		return encodeResponse(statusNotFound, nil), nil
	case errors.Is(err, storage.ErrCorrupt):
		s.log.Warn("block get: local copy is corrupt", "from", from.Short(), "hash", h)
		return encodeResponse(statusCorrupt, nil), nil
	case err != nil:
		s.log.Error("block get: read", "from", from.Short(), "hash", h, "err", err)
		return encodeResponse(statusError, []byte(err.Error())), nil
	}
	resp := encodeResponse(statusOK, data) // copies out of the pooled buffer
	release()
	return resp, nil
}

func (s *server) has(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error) {
	h, _, err := decodeRequest(body)
	if err != nil {
		return encodeResponse(statusBadRequest, []byte(err.Error())), nil
	}
	if s.local.Has(h) {
		return encodeResponse(statusOK, nil), nil
	}
	return encodeResponse(statusNotFound, nil), nil
}
