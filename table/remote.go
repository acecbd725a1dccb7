package table

import (
	"context"

	"github.com/garage-web/garage-web/cluster"
)

// Caller sends a request to another node and returns its answer; it is
// what table needs of the RPC transport (cluster/rpc provides it). The
// call must give up when ctx ends. An error means the request may or may
// not have been carried out.
type Caller interface {
	Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error)
}

// Registrar routes incoming requests for a method to a handler; it is
// what table needs of the RPC transport's server side. Handlers are
// called concurrently, with the caller's deadline in ctx.
type Registrar interface {
	Handle(method string, h func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error))
}

// RPC method names served by RegisterRPC and by LockServer.Register.
const (
	MethodUpdate = "table.update"
	MethodGet    = "table.get"
	MethodRange  = "table.range"
	MethodLock   = "table.lock"
	MethodUnlock = "table.unlock"
)

// Request and response bodies of the table methods (after the version
// byte, CBOR with integer keys).
type (
	updateReq struct {
		Table  string   `cbor:"1,keyasint"`
		Values [][]byte `cbor:"2,keyasint"`
	}
	// updateRes is empty from nodes that predate Prior: callers that
	// decode it into empty, and nodes that send empty, still agree.
	updateRes struct {
		// Prior holds, per value, the Stamp of the entry held before.
		Prior []uint64 `cbor:"1,keyasint,omitempty"`
	}
	getReq struct {
		Table string `cbor:"1,keyasint"`
		PK    []byte `cbor:"2,keyasint"`
		SK    []byte `cbor:"3,keyasint"`
		// Digest, when set, is the caller's digest (valueDigest) of its
		// own copy: a callee whose copy has that digest answers Same
		// instead of the value. Nodes that predate it ignore the field
		// and send the value, which callers take as usual.
		Digest []byte `cbor:"4,keyasint,omitempty"`
	}
	getRes struct {
		Found bool   `cbor:"1,keyasint"`
		Value []byte `cbor:"2,keyasint"`
		// Same: the callee's copy has the digest the request carried;
		// Value is then empty. Never set without a Digest in the request.
		Same bool `cbor:"3,keyasint,omitempty"`
	}
	rangeReq struct {
		Table   string `cbor:"1,keyasint"`
		PK      []byte `cbor:"2,keyasint"`
		Start   []byte `cbor:"3,keyasint"`
		Prefix  []byte `cbor:"4,keyasint"`
		Filter  string `cbor:"5,keyasint"`
		Limit   int    `cbor:"6,keyasint"`
		Reverse bool   `cbor:"7,keyasint"`
		// HasStart tells a nil Start from an empty one.
		HasStart bool `cbor:"8,keyasint"`
	}
	rangeRes struct {
		Values [][]byte `cbor:"1,keyasint"`
	}
	empty struct{}
)

// RegisterRPC serves the table methods (table.update, table.get,
// table.range, and the anti-entropy methods table.sync.*) of the local
// node l on r.
func RegisterRPC(r Registrar, l *Local) {
	registerSyncRPC(r, l)
	r.Handle(MethodUpdate, serve(func(ctx context.Context, _ cluster.NodeID, req updateReq) (updateRes, error) {
		prior, err := l.Update(ctx, req.Table, req.Values)
		return updateRes{Prior: prior}, err
	}))
	r.Handle(MethodGet, serve(func(ctx context.Context, _ cluster.NodeID, req getReq) (getRes, error) {
		if len(req.Digest) > 0 {
			return l.getUnlessSame(ctx, req.Table, req.PK, req.SK, req.Digest)
		}
		v, err := l.Get(ctx, req.Table, req.PK, req.SK)
		return getRes{Found: v != nil, Value: v}, err
	}))
	r.Handle(MethodRange, serve(func(ctx context.Context, _ cluster.NodeID, req rangeReq) (rangeRes, error) {
		q := RangeQuery{Start: req.Start, Prefix: req.Prefix, Filter: req.Filter, Limit: req.Limit, Reverse: req.Reverse}
		if req.HasStart && q.Start == nil {
			q.Start = []byte{}
		}
		if !req.HasStart {
			q.Start = nil
		}
		vs, err := l.Range(ctx, req.Table, req.PK, q)
		return rangeRes{Values: vs}, err
	}))
}

// Remote is a node reached over RPC.
type Remote struct {
	id cluster.NodeID
	c  Caller
}

var _ Node = (*Remote)(nil)

// NewRemote returns the node id, reached through c.
func NewRemote(id cluster.NodeID, c Caller) *Remote { return &Remote{id: id, c: c} }

// ID implements Node: the node id in hex.
func (r *Remote) ID() string { return r.id.String() }

// NodeID returns the node's cluster id.
func (r *Remote) NodeID() cluster.NodeID { return r.id }

// Update implements Node. A node that sent no prior stamps (an older
// version) gives nil.
func (r *Remote) Update(ctx context.Context, table string, values [][]byte) ([]uint64, error) {
	res, err := call[updateReq, updateRes](ctx, r.c, r.id, MethodUpdate, updateReq{Table: table, Values: values})
	if err != nil {
		return nil, err
	}
	if len(res.Prior) != len(values) {
		return nil, nil
	}
	return res.Prior, nil
}

// Get implements Node.
func (r *Remote) Get(ctx context.Context, table string, pk, sk []byte) ([]byte, error) {
	res, err := call[getReq, getRes](ctx, r.c, r.id, MethodGet, getReq{Table: table, PK: pk, SK: sk})
	if err != nil || !res.Found {
		return nil, err
	}
	if res.Value == nil {
		return []byte{}, nil
	}
	return res.Value, nil
}

// getUnlessSame implements digestGetter. A node that does not know
// getReq.Digest answers with the value, which is returned as usual.
func (r *Remote) getUnlessSame(ctx context.Context, table string, pk, sk, d []byte) ([]byte, bool, error) {
	res, err := call[getReq, getRes](ctx, r.c, r.id, MethodGet, getReq{Table: table, PK: pk, SK: sk, Digest: d})
	switch {
	case err != nil || !res.Found:
		return nil, false, err
	case res.Same:
		return nil, true, nil
	case res.Value == nil:
		return []byte{}, false, nil
	}
	return res.Value, false, nil
}

// Range implements Node.
func (r *Remote) Range(ctx context.Context, table string, pk []byte, q RangeQuery) ([][]byte, error) {
	res, err := call[rangeReq, rangeRes](ctx, r.c, r.id, MethodRange, rangeReq{
		Table: table, PK: pk, Start: q.Start, HasStart: q.Start != nil, Prefix: q.Prefix,
		Filter: q.Filter, Limit: q.Limit, Reverse: q.Reverse,
	})
	return res.Values, err
}
