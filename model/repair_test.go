package model

import (
	"context"
	"fmt"
	"testing"

	"github.com/garage-web/garage-web/storage"
)

func TestCountBlockRefsCountsLiveEntriesAcrossPages(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	h := storage.HashOf([]byte("shared block"))
	for i := range 1203 {
		if err := e.m.blockrefs.Insert(ctx, BlockRef{Hash: h[:], User: fmt.Sprintf("data%05d/0", i), Size: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.m.blockrefs.Insert(ctx, BlockRef{Hash: h[:], User: "data00007/0", Deleted: true}); err != nil {
		t.Fatal(err)
	}
	n, err := e.m.CountBlockRefs(ctx, h)
	if err != nil || n != 1202 {
		t.Fatalf("count %d, %v; want 1202", n, err)
	}
	if c, _ := e.refs.Count(h); c != 1202 {
		t.Fatalf("hook count %d, want 1202", c)
	}
	other := storage.HashOf([]byte("unused"))
	if n, err := e.m.CountBlockRefs(ctx, other); err != nil || n != 0 {
		t.Fatalf("count of an unreferenced block: %d, %v", n, err)
	}
}
