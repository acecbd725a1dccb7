package table

import (
	"context"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkUpdateMerkle measures batched local writes with the table's
// Merkle tree kept up to date, and without one (the cost of the tree).
func BenchmarkUpdateMerkle(b *testing.B) {
	for _, c := range []struct {
		tree  bool
		batch int
	}{{true, 4}, {false, 4}, {true, 100}, {false, 100}} {
		tree, batch := c.tree, c.batch
		b.Run(fmt.Sprintf("tree=%v/batch=%d", tree, batch), func(b *testing.B) {
			l, _ := mustLocal(b, "")
			mustTable(b, l, counterSchema)
			if !tree {
				if err := l.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(merkleBucket) }); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				vs := make([][]byte, batch)
				for j := range vs {
					vs[j], _ = encodeCounter(entry(fmt.Sprint("p", (i*batch+j)%5000), fmt.Sprint(i*batch+j), 1, "value"))
				}
				if _, err := l.Update(ctx, "counters", vs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/entry")
		})
	}
}
