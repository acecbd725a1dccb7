package table

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/cluster"
)

// MethodGCReplace is the RPC method of the GC's last step: "replace (or
// delete) these entries if their stored value still has this hash".
const MethodGCReplace = "table.gc_replace"

type (
	gcReplaceReq struct {
		Table string   `cbor:"1,keyasint"`
		Items []gcItem `cbor:"2,keyasint"`
	}
	gcReplaceRes struct {
		// Done says, per item, whether the holder carried it out.
		Done []bool `cbor:"1,keyasint"`
	}
)

// RegisterGCRPC serves MethodGCReplace for the local node l on r. Every
// node of a cluster must serve it (call it next to RegisterRPC): a GC pass
// postpones the items of a partition with a holder that does not answer.
func RegisterGCRPC(r Registrar, l *Local) {
	r.Handle(MethodGCReplace, serve(func(ctx context.Context, _ cluster.NodeID, req gcReplaceReq) (gcReplaceRes, error) {
		if err := ctx.Err(); err != nil {
			return gcReplaceRes{}, err
		}
		done, err := l.replaceIfEqual(req.Table, req.Items, nil)
		return gcReplaceRes{Done: done}, err
	}))
}

// gcReplaceRemote asks node to to carry out items on table.
func gcReplaceRemote(ctx context.Context, c Caller, to cluster.NodeID, table string, items []gcItem) ([]bool, error) {
	res, err := call[gcReplaceReq, gcReplaceRes](ctx, c, to, MethodGCReplace, gcReplaceReq{Table: table, Items: items})
	if err != nil {
		return nil, err
	}
	if len(res.Done) != len(items) {
		return nil, fmt.Errorf("%s to %s: %d answers for %d items", MethodGCReplace, to.Short(), len(res.Done), len(items))
	}
	return res.Done, nil
}
