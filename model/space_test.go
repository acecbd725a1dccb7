package model

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestObjectSpace measures what a live inline object costs in the
// metadata database (docs/benchmarks.md, "Space and memory"): per object,
// the objects table's bytes in use and allocated (pages), the Merkle
// index's, and the file. It fails if an entry's bytes in use exceed the
// inline bytes by more than 300 (format 3 needs ~235 for a 256 B object
// with a Content-Type). GARAGE_WEB_SPACE_OBJECTS=20000 measures more.
func TestObjectSpace(t *testing.T) {
	n := 500
	if v := os.Getenv("GARAGE_WEB_SPACE_OBJECTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	bucket := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, size := range []int{256, 4096} {
		for _, random := range []bool{false, true} {
			e := newTestModel(t)
			data := make([]byte, size)
			for i := range n {
				copy(data, fmt.Sprint(i))
				sum := md5.Sum(data)
				key := fmt.Sprintf("obj-%08d", i)
				if random {
					key = hex.EncodeToString(sum[:8])
				}
				_, err := e.m.PutObject(context.Background(), PutObjectInput{BucketID: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(size),
					Headers: map[string]string{"Content-Type": "application/octet-stream"},
					Digest:  func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }})
				if err != nil {
					t.Fatal(err)
				}
			}
			e.drain(t)
			var obj, mk bolt.BucketStats
			if err := e.db.View(func(tx *bolt.Tx) error {
				obj, mk = tx.Bucket([]byte("objects")).Stats(), tx.Bucket([]byte("_merkle")).Stats()
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			per := func(v int) int { return v / n }
			t.Logf("%d B objects, random keys %v, %d objects: file %d B/object; objects in use %d alloc %d; merkle in use %d alloc %d",
				size, random, n, e.db.Size()/int64(n), per(obj.LeafInuse+obj.BranchInuse), per(obj.LeafAlloc+obj.BranchAlloc),
				per(mk.LeafInuse+mk.BranchInuse), per(mk.LeafAlloc+mk.BranchAlloc))
			if inuse := per(obj.LeafInuse); inuse > size+300 {
				t.Errorf("%d B object: %d B in use per entry, want <= %d", size, inuse, size+300)
			}
		}
	}
}
