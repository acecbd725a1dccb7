package table

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// RPC methods of read leases, served by RegisterLeaseRPC.
const (
	MethodLeaseGrant  = "table.lease.grant"
	MethodLeaseRevoke = "table.lease.revoke"
)

type (
	leaseGrantReq struct{}
	leaseGrantRes struct {
		Granted     bool   `cbor:"1,keyasint"`
		Incarnation uint64 `cbor:"2,keyasint"`
		Epoch       uint64 `cbor:"3,keyasint"`
		DurationMs  int64  `cbor:"4,keyasint"`
	}
	leaseRevokeReq struct {
		Holder []byte `cbor:"1,keyasint"`
	}
	leaseRevokeRes struct {
		// LeftMs is how long the revoked grant may still run.
		LeftMs int64 `cbor:"1,keyasint"`
	}
	// wireHolders is Holders on the wire (updateRes and getRes field
	// "Holders"; nodes without leases send none).
	wireHolders struct {
		Nodes [][]byte `cbor:"1,keyasint,omitempty"`
		AllMs int64    `cbor:"2,keyasint,omitempty"`
	}
)

func toWireHolders(h Holders) *wireHolders {
	if h.empty() {
		return nil
	}
	w := &wireHolders{AllMs: ceilMs(h.All)}
	for _, id := range h.Nodes {
		w.Nodes = append(w.Nodes, id[:])
	}
	return w
}

func fromWireHolders(w *wireHolders) (Holders, error) {
	if w == nil {
		return Holders{}, nil
	}
	h := Holders{All: time.Duration(w.AllMs) * time.Millisecond}
	for _, b := range w.Nodes {
		id, err := nodeIDFromBytes(b)
		if err != nil {
			return Holders{}, fmt.Errorf("lease holder: %w", err)
		}
		h.Nodes = append(h.Nodes, id)
	}
	return h, nil
}

// ceilMs rounds d up to whole milliseconds: a wait derived from it must
// not end early.
func ceilMs(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// RegisterLeaseRPC serves the lease methods of l on r.
func RegisterLeaseRPC(r Registrar, l *Leases) {
	r.Handle(MethodLeaseGrant, serve(func(_ context.Context, from cluster.NodeID, _ leaseGrantReq) (leaseGrantRes, error) {
		e, ok := l.grant(from)
		if !ok {
			return leaseGrantRes{}, nil
		}
		return leaseGrantRes{Granted: true, Incarnation: e.incarnation, Epoch: e.n, DurationMs: l.cfg.Duration.Milliseconds()}, nil
	}))
	r.Handle(MethodLeaseRevoke, serve(func(_ context.Context, _ cluster.NodeID, req leaseRevokeReq) (leaseRevokeRes, error) {
		h, err := nodeIDFromBytes(req.Holder)
		if err != nil {
			return leaseRevokeRes{}, fmt.Errorf("revoke: %w", err)
		}
		return leaseRevokeRes{LeftMs: ceilMs(l.revoke(h))}, nil
	}))
}

// errCannotRevoke is a holder that answered nothing and whose lease could
// not be ended: the operation cannot count it out.
var errCannotRevoke = errors.New("a read-lease holder did not answer and its lease could not be revoked")

// revokeAt ends holder h's lease at grantor n and returns how long the
// grant may still run.
func (t *Table[E]) revokeAt(ctx context.Context, n Node, h cluster.NodeID) (time.Duration, error) {
	if n == Node(t.local) {
		if lz := t.local.leases; lz != nil {
			return lz.revoke(h), nil
		}
		return 0, nil
	}
	r, ok := n.(*Remote)
	if !ok {
		return 0, fmt.Errorf("node %s: %w", n.ID(), errCannotRevoke)
	}
	res, err := call[leaseRevokeReq, leaseRevokeRes](ctx, r.c, r.id, MethodLeaseRevoke, leaseRevokeReq{Holder: h[:]})
	if err != nil {
		return 0, fmt.Errorf("revoke the read lease of %s at %s: %w", h.Short(), n.ID(), err)
	}
	return time.Duration(res.LeftMs) * time.Millisecond, nil
}

func nodeIDFromBytes(b []byte) (cluster.NodeID, error) {
	var id cluster.NodeID
	if len(b) != len(id) {
		return id, fmt.Errorf("node id of %d bytes, want %d", len(b), len(id))
	}
	copy(id[:], b)
	return id, nil
}

// wireHolders returns the grants of l's leases for an answer (nil
// without leases).
func (l *Local) wireHolders() *wireHolders {
	if l.leases == nil {
		return nil
	}
	return toWireHolders(l.leases.holders())
}
