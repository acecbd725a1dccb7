package table

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/garage-web/garage-web/cluster"
)

// RPC methods of anti-entropy, served by RegisterRPC: a replica reads
// another's Merkle trees top down and fetches the entries that differ.
const (
	MethodSyncRoots    = "table.sync.roots"
	MethodSyncChildren = "table.sync.children"
	MethodSyncItems    = "table.sync.items"
	MethodSyncGet      = "table.sync.get"
)

// Bounds of the anti-entropy RPC bodies. A server clamps what a request
// asks for to them, so no answer grows without bound.
const (
	// syncMaxPrefixes is how many tree nodes one children request names
	// (each answer holds up to 256 children of ~45 bytes).
	syncMaxPrefixes = 16
	// syncMaxItems is how many items one items answer holds.
	syncMaxItems = 1000
	// syncMaxKeys is how many entries one get request names, and one
	// push (Update) carries.
	syncMaxKeys = 256
	// syncMaxBytes bounds the entries of one get answer or push (an answer
	// holds at least one entry, however large).
	syncMaxBytes = 4 << 20
)

type (
	syncRootsReq struct {
		Tables    []string `cbor:"1,keyasint"`
		Partition uint8    `cbor:"2,keyasint"`
	}
	wireAgg struct {
		Hash  []byte `cbor:"1,keyasint"`
		Count uint64 `cbor:"2,keyasint"`
		// Missing: the node has no such table.
		Missing bool `cbor:"3,keyasint,omitempty"`
	}
	syncRootsRes struct {
		Roots []wireAgg `cbor:"1,keyasint"`
	}
	syncChildrenReq struct {
		Table     string   `cbor:"1,keyasint"`
		Partition uint8    `cbor:"2,keyasint"`
		Prefixes  [][]byte `cbor:"3,keyasint"`
	}
	wireChild struct {
		Index byte   `cbor:"1,keyasint"`
		Hash  []byte `cbor:"2,keyasint"`
		Count uint64 `cbor:"3,keyasint"`
	}
	syncChildrenRes struct {
		Children [][]wireChild `cbor:"1,keyasint"`
	}
	syncItemsReq struct {
		Table     string `cbor:"1,keyasint"`
		Partition uint8  `cbor:"2,keyasint"`
		Prefix    []byte `cbor:"3,keyasint"`
		// After is the khash of the last item of the previous page.
		After []byte `cbor:"4,keyasint"`
		Limit int    `cbor:"5,keyasint"`
	}
	wireItem struct {
		Key  []byte `cbor:"1,keyasint"`
		Hash []byte `cbor:"2,keyasint"`
	}
	syncItemsRes struct {
		Items []wireItem `cbor:"1,keyasint"`
		More  bool       `cbor:"2,keyasint"`
	}
	syncGetReq struct {
		Table string   `cbor:"1,keyasint"`
		Keys  [][]byte `cbor:"2,keyasint"`
	}
	// syncGetRes holds the entries of the first len(Values) keys asked
	// (an empty value: none); the caller asks again for the rest.
	syncGetRes struct {
		Values [][]byte `cbor:"1,keyasint"`
	}
)

func toWireAgg(a merkleAgg) wireAgg { return wireAgg{Hash: a.Hash[:], Count: a.Count} }

func fromWireAgg(w wireAgg) (merkleAgg, error) {
	var a merkleAgg
	if len(w.Hash) != len(a.Hash) {
		return a, fmt.Errorf("merkle digest of %d bytes", len(w.Hash))
	}
	copy(a.Hash[:], w.Hash)
	a.Count = w.Count
	return a, nil
}

// registerSyncRPC serves the anti-entropy methods of l on r.
func registerSyncRPC(r Registrar, l *Local) {
	r.Handle(MethodSyncRoots, serve(func(ctx context.Context, _ cluster.NodeID, req syncRootsReq) (syncRootsRes, error) {
		if err := ctx.Err(); err != nil {
			return syncRootsRes{}, err
		}
		aggs, ok, err := l.merkleRoots(req.Tables, req.Partition)
		if err != nil {
			return syncRootsRes{}, err
		}
		res := syncRootsRes{Roots: make([]wireAgg, len(aggs))}
		for i, a := range aggs {
			res.Roots[i] = toWireAgg(a)
			res.Roots[i].Missing = !ok[i]
		}
		return res, nil
	}))
	r.Handle(MethodSyncChildren, serve(func(ctx context.Context, _ cluster.NodeID, req syncChildrenReq) (syncChildrenRes, error) {
		if err := ctx.Err(); err != nil {
			return syncChildrenRes{}, err
		}
		if len(req.Prefixes) > syncMaxPrefixes {
			return syncChildrenRes{}, fmt.Errorf("%d tree nodes asked, at most %d", len(req.Prefixes), syncMaxPrefixes)
		}
		cs, err := l.merkleChildren(req.Table, req.Partition, req.Prefixes)
		if err != nil {
			return syncChildrenRes{}, err
		}
		res := syncChildrenRes{Children: make([][]wireChild, len(cs))}
		for i, list := range cs {
			for _, c := range list {
				res.Children[i] = append(res.Children[i], wireChild{Index: c.Index, Hash: c.Agg.Hash[:], Count: c.Agg.Count})
			}
		}
		return res, nil
	}))
	r.Handle(MethodSyncItems, serve(func(ctx context.Context, _ cluster.NodeID, req syncItemsReq) (syncItemsRes, error) {
		if err := ctx.Err(); err != nil {
			return syncItemsRes{}, err
		}
		limit := req.Limit
		if limit <= 0 || limit > syncMaxItems {
			limit = syncMaxItems
		}
		if len(req.Prefix) > sha256.Size || len(req.After) > sha256.Size {
			return syncItemsRes{}, fmt.Errorf("items: prefix or cursor longer than a hash")
		}
		items, more, err := l.merkleItems(req.Table, req.Partition, req.Prefix, req.After, limit)
		if err != nil {
			return syncItemsRes{}, err
		}
		res := syncItemsRes{Items: make([]wireItem, len(items)), More: more}
		for i, it := range items {
			res.Items[i] = wireItem{Key: it.Key, Hash: it.Hash[:]}
		}
		return res, nil
	}))
	r.Handle(MethodSyncGet, serve(func(ctx context.Context, _ cluster.NodeID, req syncGetReq) (syncGetRes, error) {
		if err := ctx.Err(); err != nil {
			return syncGetRes{}, err
		}
		if _, err := l.table(req.Table); err != nil {
			return syncGetRes{}, err
		}
		keys := req.Keys
		if len(keys) > syncMaxKeys {
			keys = keys[:syncMaxKeys]
		}
		vs, err := l.rawEntries(req.Table, keys, syncMaxBytes)
		if err != nil {
			return syncGetRes{}, err
		}
		for i := range vs {
			if vs[i] == nil {
				vs[i] = []byte{}
			}
		}
		return syncGetRes{Values: vs}, nil
	}))
}

// syncPeer is the client side of the anti-entropy methods on one node.
type syncPeer struct {
	id cluster.NodeID
	c  Caller
}

// roots returns the root aggregates of partition p of tables on the
// peer; missing[i] tells that the peer has no table tables[i].
func (sp syncPeer) roots(ctx context.Context, tables []string, p uint8) (aggs []merkleAgg, missing []bool, err error) {
	res, err := call[syncRootsReq, syncRootsRes](ctx, sp.c, sp.id, MethodSyncRoots, syncRootsReq{Tables: tables, Partition: p})
	if err != nil {
		return nil, nil, err
	}
	if len(res.Roots) != len(tables) {
		return nil, nil, fmt.Errorf("%s from %s: %d roots for %d tables", MethodSyncRoots, sp.id.Short(), len(res.Roots), len(tables))
	}
	aggs, missing = make([]merkleAgg, len(tables)), make([]bool, len(tables))
	for i, w := range res.Roots {
		if w.Missing {
			missing[i] = true
			continue
		}
		if aggs[i], err = fromWireAgg(w); err != nil {
			return nil, nil, fmt.Errorf("%s from %s: %w", MethodSyncRoots, sp.id.Short(), err)
		}
	}
	return aggs, missing, nil
}

// children returns the children of the nodes at prefixes
// (len(prefixes) ≤ syncMaxPrefixes).
func (sp syncPeer) children(ctx context.Context, table string, p uint8, prefixes [][]byte) ([][]merkleChild, error) {
	res, err := call[syncChildrenReq, syncChildrenRes](ctx, sp.c, sp.id, MethodSyncChildren, syncChildrenReq{Table: table, Partition: p, Prefixes: prefixes})
	if err != nil {
		return nil, err
	}
	if len(res.Children) != len(prefixes) {
		return nil, fmt.Errorf("%s from %s: %d answers for %d nodes", MethodSyncChildren, sp.id.Short(), len(res.Children), len(prefixes))
	}
	out := make([][]merkleChild, len(prefixes))
	for i, list := range res.Children {
		for _, w := range list {
			a, err := fromWireAgg(wireAgg{Hash: w.Hash, Count: w.Count})
			if err != nil {
				return nil, fmt.Errorf("%s from %s: %w", MethodSyncChildren, sp.id.Short(), err)
			}
			out[i] = append(out[i], merkleChild{Index: w.Index, Agg: a})
		}
	}
	return out, nil
}

// items returns a page of the items under prefix after the khash after.
func (sp syncPeer) items(ctx context.Context, table string, p uint8, prefix, after []byte, limit int) ([]merkleItem, bool, error) {
	res, err := call[syncItemsReq, syncItemsRes](ctx, sp.c, sp.id, MethodSyncItems, syncItemsReq{Table: table, Partition: p, Prefix: prefix, After: after, Limit: limit})
	if err != nil {
		return nil, false, err
	}
	out := make([]merkleItem, len(res.Items))
	for i, w := range res.Items {
		if len(w.Hash) != sha256.Size || len(w.Key) == 0 {
			return nil, false, fmt.Errorf("%s from %s: malformed item", MethodSyncItems, sp.id.Short())
		}
		out[i] = merkleItem{KHash: sha256.Sum256(w.Key), Key: w.Key}
		copy(out[i].Hash[:], w.Hash)
	}
	return out, res.More, nil
}

// get returns the peer's entries at the first keys (nil where it has
// none): at least one, at most syncMaxKeys, as many as the answer's size
// bound allows.
func (sp syncPeer) get(ctx context.Context, table string, keys [][]byte) ([][]byte, error) {
	if len(keys) > syncMaxKeys {
		keys = keys[:syncMaxKeys]
	}
	res, err := call[syncGetReq, syncGetRes](ctx, sp.c, sp.id, MethodSyncGet, syncGetReq{Table: table, Keys: keys})
	if err != nil {
		return nil, err
	}
	if len(res.Values) == 0 || len(res.Values) > len(keys) {
		return nil, fmt.Errorf("%s from %s: %d entries for %d keys", MethodSyncGet, sp.id.Short(), len(res.Values), len(keys))
	}
	for i, v := range res.Values {
		if len(v) == 0 {
			res.Values[i] = nil
		}
	}
	return res.Values, nil
}
