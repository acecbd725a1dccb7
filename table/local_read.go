package table

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// view calls visit with the stored value at (pk, sk), nil when there is
// none, inside one read transaction: the value is only valid during the
// call, so visit must copy what it keeps (every Schema.Decode does).
// It spares Get the copy of the value that Node.Get has to make.
func (l *Local) view(ctx context.Context, table string, pk, sk []byte, visit func(v []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := storageKey(pk, sk)
	return l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(table))
		if b == nil {
			return fmt.Errorf("%w %q", ErrUnknownTable, table)
		}
		return visit(b.Get(key))
	})
}

// onlyLocal reports whether a read of the partition of h can be served
// by this node alone: it is the only replica and a quorum of one is
// enough (a single-node cluster). Such reads decode values in place, with
// nothing to merge or repair.
func (t *Table[E]) onlyLocal(nodes []Node) bool {
	return len(nodes) == 1 && nodes[0] == Node(t.local) && t.placement.ReadQuorum() <= 1
}

// getLocal is Get on a partition only this node holds.
func (t *Table[E]) getLocal(ctx context.Context, pk, sk []byte) (E, bool, error) {
	var e E
	found := false
	err := t.local.view(ctx, t.schema.Name, pk, sk, func(v []byte) error {
		if v == nil {
			return nil
		}
		var err error
		if e, err = t.schema.Decode(v); err != nil {
			return fmt.Errorf("decode %s entry: %w", t.schema.Name, err)
		}
		found = true
		return nil
	})
	if err != nil {
		var zero E
		return zero, false, err
	}
	return e, found, nil
}
