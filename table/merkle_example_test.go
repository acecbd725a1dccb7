package table

import (
	"context"
	"fmt"
	"os"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table/crdt"
)

// Two replicas hold the same entries of a partition when their Merkle
// roots of it are equal, whatever order the writes came in.
func ExampleLocal_MerkleRoot() {
	ctx := context.Background()
	var roots []MerkleHash
	for _, order := range [][]string{{"a", "b"}, {"b", "a"}} {
		dir, _ := os.MkdirTemp("", "merkle-example")
		defer os.RemoveAll(dir)
		db, err := storage.OpenDB(dir)
		if err != nil {
			panic(err)
		}
		defer db.Close()
		l, _ := NewLocal("n", db, discardLog())
		tb, _ := New(counterSchema, l, Single{Local: l}, Options[counter]{})
		for _, sk := range order {
			if err := tb.Insert(ctx, counter{PK: "bucket", SK: sk, V: crdt.NewLWW(1, "v")}); err != nil {
				panic(err)
			}
		}
		p := HashPartitionKey([]byte("bucket")).Partition()
		root, n, _ := l.MerkleRoot("counters", p)
		fmt.Println("entries:", n)
		roots = append(roots, root)
	}
	fmt.Println("equal:", roots[0] == roots[1])
	// Output:
	// entries: 2
	// entries: 2
	// equal: true
}
