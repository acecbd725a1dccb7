package table

import (
	"context"
	"fmt"
	"testing"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table/crdt"
)

// lightCounter decodes a counter with a marked value, to tell light
// entries from whole ones.
func lightCounter(b []byte) (counter, error) {
	c, err := decodeCounter(b)
	c.V.Value = "light:" + c.V.Value
	return c, err
}

// TestLocalReadPaths: on a node that is the only replica, Get and Range
// read in place (the values they return stay valid after the read
// transaction, and missing entries are missing); Light ranges use
// DecodeLight there, and never where replicas are merged.
func TestLocalReadPaths(t *testing.T) {
	ctx := context.Background()
	l, _ := mustLocal(t, t.TempDir())
	single, err := New(Schema[counter]{Name: "counters", Encode: encodeCounter, Decode: decodeCounter, DecodeLight: lightCounter},
		l, fixedPlacement{nodes: []Node{l}, rq: 1, wq: 1}, Options[counter]{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := single.Insert(ctx, counter{PK: "p", SK: fmt.Sprint(i), V: crdt.NewLWW(1, fmt.Sprint("v", i))}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		got, found, err := single.Get(ctx, []byte("p"), []byte(fmt.Sprint(i)))
		if err != nil || !found || got.V.Value != fmt.Sprint("v", i) || got.SK != fmt.Sprint(i) {
			t.Fatalf("Get %d: %+v %v %v", i, got, found, err)
		}
	}
	if _, found, err := single.Get(ctx, []byte("p"), []byte("nope")); found || err != nil {
		t.Fatalf("Get of a missing entry: found %v, %v", found, err)
	}
	whole, err := single.Range(ctx, []byte("p"), RangeQuery{Limit: 3})
	if err != nil || len(whole) != 3 || whole[2].V.Value != "v2" {
		t.Fatalf("Range: %+v %v", whole, err)
	}
	light, err := single.Range(ctx, []byte("p"), RangeQuery{Limit: 3, Light: true})
	if err != nil || len(light) != 3 || light[2].V.Value != "light:v2" {
		t.Fatalf("light Range on the only replica: %+v %v", light, err)
	}

	var all []Node
	for i := range 3 {
		db, err := storage.OpenDB(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		n, err := NewLocal(fmt.Sprintf("r%d", i), db, discardLog()) // replicas need distinct ids
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, n)
	}
	var tables []*Table[counter]
	for _, n := range all {
		tb, err := New(Schema[counter]{Name: "counters", Encode: encodeCounter, Decode: decodeCounter, DecodeLight: lightCounter},
			n.(*Local), fixedPlacement{nodes: all, rq: 2, wq: 2}, Options[counter]{})
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	if err := tables[0].Insert(ctx, counter{PK: "p", SK: "a", V: crdt.NewLWW(1, "x")}); err != nil {
		t.Fatal(err)
	}
	got, err := tables[1].Range(ctx, []byte("p"), RangeQuery{Light: true})
	if err != nil || len(got) != 1 || got[0].V.Value != "x" {
		t.Fatalf("light Range over replicas must decode whole entries: %+v %v", got, err)
	}
}
