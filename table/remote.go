package table

import (
	"context"
	"fmt"

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
		// Holders are the read leases the replica granted (lease.go).
		Holders *wireHolders `cbor:"2,keyasint,omitempty"`
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
		// Holders are the read leases the replica granted (lease.go).
		Holders *wireHolders `cbor:"4,keyasint,omitempty"`
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
		return updateRes{Prior: prior, Holders: l.wireHolders()}, err
	}))
	r.Handle(MethodGet, serve(func(ctx context.Context, _ cluster.NodeID, req getReq) (getRes, error) {
		var res getRes
		var err error
		if len(req.Digest) > 0 {
			res, err = l.getUnlessSame(ctx, req.Table, req.PK, req.SK, req.Digest)
		} else {
			var v []byte
			v, err = l.Get(ctx, req.Table, req.PK, req.SK)
			res = getRes{Found: v != nil, Value: v}
		}
		res.Holders = l.wireHolders()
		return res, err
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
	prior, _, err := r.updateHolders(ctx, table, values)
	return prior, err
}

// updateHolders implements leasedNode.
func (r *Remote) updateHolders(ctx context.Context, table string, values [][]byte) ([]uint64, Holders, error) {
	res, err := call[updateReq, updateRes](ctx, r.c, r.id, MethodUpdate, updateReq{Table: table, Values: values})
	if err != nil {
		return nil, Holders{}, err
	}
	h, err := fromWireHolders(res.Holders)
	if err != nil {
		return nil, Holders{}, fmt.Errorf("update answer of %s: %w", r.id.Short(), err)
	}
	if len(res.Prior) != len(values) {
		return nil, h, nil
	}
	return res.Prior, h, nil
}

// Get implements Node.
func (r *Remote) Get(ctx context.Context, table string, pk, sk []byte) ([]byte, error) {
	v, _, _, err := r.getHolders(ctx, table, pk, sk, nil)
	return v, err
}

// getHolders implements leasedNode: Get or, with a digest d, a get that
// answers same = true and no value when the node's copy has that digest
// (a node that does not know getReq.Digest answers with the value, which
// is returned as usual); with the holders of the node's grants.
func (r *Remote) getHolders(ctx context.Context, table string, pk, sk, d []byte) ([]byte, bool, Holders, error) {
	res, err := call[getReq, getRes](ctx, r.c, r.id, MethodGet, getReq{Table: table, PK: pk, SK: sk, Digest: d})
	if err != nil {
		return nil, false, Holders{}, err
	}
	h, err := fromWireHolders(res.Holders)
	if err != nil {
		return nil, false, Holders{}, fmt.Errorf("get answer of %s: %w", r.id.Short(), err)
	}
	switch {
	case !res.Found:
		return nil, false, h, nil
	case res.Same:
		return nil, true, h, nil
	case res.Value == nil:
		return []byte{}, false, h, nil
	}
	return res.Value, false, h, nil
}

// Range implements Node.
func (r *Remote) Range(ctx context.Context, table string, pk []byte, q RangeQuery) ([][]byte, error) {
	res, err := call[rangeReq, rangeRes](ctx, r.c, r.id, MethodRange, rangeReq{
		Table: table, PK: pk, Start: q.Start, HasStart: q.Start != nil, Prefix: q.Prefix,
		Filter: q.Filter, Limit: q.Limit, Reverse: q.Reverse,
	})
	return res.Values, err
}
