package blockrepl

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// call sends a request to node and decodes the answer's status.
func (s *Store) call(ctx context.Context, node cluster.NodeID, method string, h storage.Hash, payload []byte) (status, []byte, error) {
	return s.callEncoded(ctx, node, method, encodeRequest(h, payload))
}

// callEncoded is call with the request already encoded.
func (s *Store) callEncoded(ctx context.Context, node cluster.NodeID, method string, req []byte) (status, []byte, error) {
	resp, err := s.cfg.Caller.Call(ctx, node, method, req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s to %s: %w", method, node.Short(), err)
	}
	st, body, err := decodeResponse(resp)
	if err != nil {
		return 0, nil, fmt.Errorf("%s to %s: %w", method, node.Short(), err)
	}
	return st, body, nil
}

// statusErr turns a status other than ok into an error that callers can
// match: storage.ErrBlockNotFound, storage.ErrCorrupt, ErrBadRequest or
// ErrRemote.
func statusErr(node cluster.NodeID, method string, h storage.Hash, st status, body []byte) error {
	switch st {
	case statusNotFound:
		return fmt.Errorf("%s %s on %s: %w", method, h, node.Short(), storage.ErrBlockNotFound)
	case statusCorrupt:
		return fmt.Errorf("%s %s on %s: %w", method, h, node.Short(), storage.ErrCorrupt)
	case statusBadRequest:
		return fmt.Errorf("%s %s on %s: %w: %s", method, h, node.Short(), ErrBadRequest, body)
	case statusError:
		return fmt.Errorf("%s %s on %s: %w: %s", method, h, node.Short(), ErrRemote, body)
	}
	return fmt.Errorf("%s %s on %s: %w: unknown %s", method, h, node.Short(), ErrRemote, st)
}

// putRemote stores data (whose hash is h) on node.
func (s *Store) putRemote(ctx context.Context, node cluster.NodeID, h storage.Hash, data []byte) error {
	return s.putRemoteRequest(ctx, node, h, encodeRequest(h, data))
}

// putRemoteRequest sends the encoded put request req (encodeRequest of
// the block h), which holds its own copy of the block's bytes.
func (s *Store) putRemoteRequest(ctx context.Context, node cluster.NodeID, h storage.Hash, req []byte) error {
	st, body, err := s.callEncoded(ctx, node, MethodPut, req)
	if err != nil {
		return err
	}
	if st != statusOK {
		return statusErr(node, MethodPut, h, st, body)
	}
	return nil
}

// getRemote fetches the block from node and checks it against h. A copy
// that fails the check is an error wrapping storage.ErrCorrupt, like one
// the node itself found corrupt.
func (s *Store) getRemote(ctx context.Context, node cluster.NodeID, h storage.Hash) ([]byte, error) {
	st, body, err := s.call(ctx, node, MethodGet, h, nil)
	if err != nil {
		return nil, err
	}
	if st != statusOK {
		return nil, statusErr(node, MethodGet, h, st, body)
	}
	if got := storage.HashOf(body); got != h {
		return nil, fmt.Errorf("get %s from %s: %d bytes hash to %s: %w", h, node.Short(), len(body), got, storage.ErrCorrupt)
	}
	return body, nil
}

// HasOn reports whether node holds a file for the block (its content is
// not verified). It is meant for resync: finding replicas that miss a
// block. The local node is answered from the local store.
func (s *Store) HasOn(ctx context.Context, node cluster.NodeID, h storage.Hash) (bool, error) {
	if node == s.cfg.Node && s.cfg.Local != nil {
		return s.cfg.Local.Has(h), nil
	}
	st, body, err := s.call(ctx, node, MethodHas, h, nil)
	if err != nil {
		return false, err
	}
	switch st {
	case statusOK:
		return true, nil
	case statusNotFound:
		return false, nil
	}
	return false, statusErr(node, MethodHas, h, st, body)
}
