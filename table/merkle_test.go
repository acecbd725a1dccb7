package table

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table/crdt"
)

var counterSchema = Schema[counter]{Name: "counters", Encode: encodeCounter, Decode: decodeCounter, Stamp: stampCounter}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// mustLocal opens a Local over a new database in dir (a temp dir if "").
func mustLocal(t testing.TB, dir string) (*Local, *storage.DB) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	db, err := storage.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := NewLocal("n", db, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	return l, db
}

func mustTable(t testing.TB, l *Local, s Schema[counter]) *Table[counter] {
	t.Helper()
	tb, err := New(s, l, Single{Local: l}, Options[counter]{})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// deleteEntry removes the entry at (pk, sk) from table through Local.put.
func deleteEntry(t testing.TB, l *Local, table, pk, sk string) {
	t.Helper()
	err := l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(table))
		key := storageKey([]byte(pk), []byte(sk))
		old := b.Get(key)
		if old == nil {
			return nil
		}
		return l.put(tx, table, b, key, old, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// treeDump returns every key of table's tree except its format marker.
func treeDump(t testing.TB, l *Local, table string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := l.db.View(func(tx *bolt.Tx) error {
		tb, err := readyTree(tx, table)
		if err != nil {
			return err
		}
		return tb.ForEach(func(k, v []byte) error {
			if !bytes.Equal(k, merkleMetaKey) {
				out[string(k)] = string(v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedRoots computes the partition digests of table from its entries.
func expectedRoots(t testing.TB, l *Local, table string) ([256]MerkleHash, [256]uint64) {
	t.Helper()
	var roots [256]MerkleHash
	var counts [256]uint64
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(table)).ForEach(func(k, v []byte) error {
			roots[k[0]].add(itemHash(k, v))
			counts[k[0]]++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return roots, counts
}

// rawCopy writes the entries of table in src straight into the bucket of
// a new database (no tree), as a node of an older version would have.
func rawCopy(t testing.TB, src *Local, table string) string {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = src.db.View(func(stx *bolt.Tx) error {
		return db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte(table))
			if err != nil {
				return err
			}
			return stx.Bucket([]byte(table)).ForEach(func(k, v []byte) error { return b.Put(k, v) })
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func assertTreesEqual(t testing.TB, a, b *Local, table string) {
	t.Helper()
	da, db := treeDump(t, a, table), treeDump(t, b, table)
	if len(da) != len(db) {
		t.Fatalf("trees of %d and %d keys", len(da), len(db))
	}
	for k, v := range da {
		if db[k] != v {
			t.Fatalf("tree key %x: %x and %x", k, v, db[k])
		}
	}
}

func TestMerkleIncrementalEqualsRebuilt(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			l, _ := mustLocal(t, "")
			tb := mustTable(t, l, counterSchema)
			keys := 50 + rng.IntN(400)
			apply := &localImpl[counter]{t: tb}
			for i := 0; i < 2000; {
				// A few changes per transaction, as batched writes make them.
				err := l.db.Update(func(btx *bolt.Tx) error {
					tx := &Tx{bolt: btx}
					for n := 1 + rng.IntN(20); n > 0; n-- {
						i++
						pk, sk := fmt.Sprint("p", rng.IntN(keys/4+1)), fmt.Sprint("s", rng.IntN(8))
						if rng.IntN(4) == 0 {
							b := btx.Bucket([]byte("counters"))
							key := storageKey([]byte(pk), []byte(sk))
							if err := l.put(btx, "counters", b, key, b.Get(key), nil); err != nil {
								return err
							}
							continue
						}
						v, _ := encodeCounter(counter{PK: pk, SK: sk, V: crdt.NewLWW(uint64(rng.IntN(50)), fmt.Sprint("v", i))})
						if _, err := apply.apply(tx, v); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			want, counts := expectedRoots(t, l, "counters")
			for p := range 256 {
				h, n, err := l.MerkleRoot("counters", uint8(p))
				if err != nil {
					t.Fatal(err)
				}
				if h != want[p] || n != counts[p] {
					t.Fatalf("partition %d: root %x (%d entries), from scratch %x (%d)", p, h[:4], n, want[p][:4], counts[p])
				}
			}
			// The same contents, written at once without a tree, then built
			// on open: the very same tree, node for node.
			l2, _ := mustLocal(t, rawCopy(t, l, "counters"))
			mustTable(t, l2, counterSchema)
			assertTreesEqual(t, l, l2, "counters")
		})
	}
}

func TestMerkleSameContentsAnyOrder(t *testing.T) {
	var es []counter
	for i := range 300 {
		es = append(es, counter{PK: fmt.Sprint("p", i%37), SK: fmt.Sprint("s", i), V: crdt.NewLWW(uint64(i%5), fmt.Sprint("v", i))})
	}
	a, _ := mustLocal(t, "")
	b, _ := mustLocal(t, "")
	ta, tbb := mustTable(t, a, counterSchema), mustTable(t, b, counterSchema)
	for _, e := range es {
		mustInsert(t, ta, e)
	}
	// b: reversed, with older values first and a detour through an entry
	// that is deleted again.
	mustInsert(t, tbb, counter{PK: "gone", SK: "x", V: crdt.NewLWW(1, "x")})
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		old := e
		old.V = crdt.NewLWW(0, "older")
		mustInsert(t, tbb, old, e)
	}
	deleteEntry(t, b, "counters", "gone", "x")
	ra, err := a.MerkleRoots("counters")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.MerkleRoots("counters")
	if err != nil {
		t.Fatal(err)
	}
	if ra != rb {
		t.Fatal("replicas with the same contents have different roots")
	}
	assertTreesEqual(t, a, b, "counters")
	// One different value: one partition differs.
	mustInsert(t, tbb, counter{PK: "p1", SK: "s1", V: crdt.NewLWW(99, "new")})
	rb, _ = b.MerkleRoots("counters")
	diff := 0
	for p := range ra {
		if ra[p] != rb[p] {
			diff++
		}
	}
	if diff != 1 {
		t.Fatalf("%d partitions differ after one write, want 1", diff)
	}
}

func TestMerkleBuiltForOldTable(t *testing.T) {
	ctx := context.Background()
	src, _ := mustLocal(t, "")
	ts := mustTable(t, src, counterSchema)
	var batch []counter
	for i := range merkleRebuildBatch + 2000 {
		batch = append(batch, counter{PK: fmt.Sprint("p", i%500), SK: fmt.Sprint("s", i), V: crdt.NewLWW(1, "v")})
		if len(batch) == 500 {
			if err := ts.Insert(ctx, batch...); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	if err := ts.Insert(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	// Entries written before trees existed: the tree is built on open.
	dir := rawCopy(t, src, "counters")
	l, db := mustLocal(t, dir)
	mustTable(t, l, counterSchema)
	assertTreesEqual(t, src, l, "counters")

	// A tree of an older format, or a build interrupted half way, is built
	// again (resumed) on the next open.
	err := l.db.Update(func(tx *bolt.Tx) error {
		tb := treeBucket(tx, "counters")
		return writeMerkleMeta(tb, merkleMeta{format: merkleFormat - 1, state: merkleReady})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	l, db = mustLocal(t, dir)
	mustTable(t, l, counterSchema)
	assertTreesEqual(t, src, l, "counters")

	var mid []byte
	err = l.db.Update(func(tx *bolt.Tx) error {
		tb := treeBucket(tx, "counters")
		// Forget every item past the middle key, as a crash would have.
		c := tx.Bucket([]byte("counters")).Cursor()
		k, _ := c.First()
		for i := 0; i < merkleRebuildBatch+7; i++ {
			k, _ = c.Next()
		}
		mid = bytes.Clone(k)
		for k, v := c.Next(); k != nil; k, v = c.Next() {
			_ = v
			if err := merkleSet(tb, k, nil); err != nil {
				return err
			}
		}
		return writeMerkleMeta(tb, merkleMeta{format: merkleFormat, state: merkleBuilding, cursor: mid})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	l, _ = mustLocal(t, dir)
	mustTable(t, l, counterSchema)
	assertTreesEqual(t, src, l, "counters")
}

func TestMerkleHashArithmetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for range 1000 {
		var a, b MerkleHash
		for i := range a {
			a[i], b[i] = byte(rng.Uint32()), byte(rng.Uint32())
		}
		c := a
		c.add(b)
		c.sub(b)
		if c != a {
			t.Fatalf("%x + %x - %x = %x", a, b, b, c)
		}
		d, e := a, b
		d.add(b)
		e.add(a)
		if d != e {
			t.Fatal("addition not commutative")
		}
	}
	max := MerkleHash{}
	for i := range max {
		max[i] = 0xff
	}
	one := MerkleHash{31: 1}
	max.add(one)
	if max != (MerkleHash{}) {
		t.Fatalf("2^256-1 + 1 = %x, want 0", max)
	}
}
