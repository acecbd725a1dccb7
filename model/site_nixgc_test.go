package model

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestNixCacheGC(t *testing.T) {
	ctx := context.Background()
	m := newTestModel(t).m
	b, err := m.CreateBucket(ctx, "cache", "")
	if err != nil {
		t.Fatal(err)
	}
	h := func(c string) string { return strings.Repeat(c, 32) }
	narinfo := func(hash, nar string, refs ...string) {
		body := "StorePath: /nix/store/" + hash + "-x\nURL: " + nar + "\nReferences: " + strings.Join(refs, " ") + "\n"
		putTestFile(t, m, b.ID, hash+".narinfo", body)
		putTestFile(t, m, b.ID, nar, "nar of "+hash)
	}
	narinfo(h("a"), "nar/a.nar")
	narinfo(h("b"), "nar/b.nar", h("c")+"-dep", h("b")+"-x")
	narinfo(h("c"), "nar/c.nar")
	putTestFile(t, m, b.ID, "nar/orphan.nar", "orphan")
	putTestFile(t, m, b.ID, "nix-cache-info", "StoreDir: /nix/store\n")
	if err := m.SetNixCachePin(ctx, b.ID, h("b"), true); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	dry, err := m.NixCacheGC(ctx, b.ID, time.Minute, later, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(dry.Narinfos, ",") != h("a")+".narinfo" || strings.Join(dry.Nars, ",") != "nar/a.nar,nar/orphan.nar" || dry.Kept != 2 {
		t.Fatalf("dry run: %+v", dry)
	}
	if _, err := m.HeadObject(ctx, b.ID, "nar/a.nar"); err != nil {
		t.Fatal("the dry run deleted")
	}
	// A fetch within the window keeps a.
	if err := m.TouchNixNarinfo(ctx, b.ID, h("a")+".narinfo", later); err != nil {
		t.Fatal(err)
	}
	if res, _ := m.NixCacheGC(ctx, b.ID, time.Minute, later, true); len(res.Narinfos) != 0 || strings.Join(res.Nars, ",") != "nar/orphan.nar" {
		t.Fatalf("after a fetch: %+v", res)
	}
	res, err := m.NixCacheGC(ctx, b.ID, time.Minute, later.Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Narinfos) != 1 {
		t.Fatalf("gc: %+v", res)
	}
	for _, key := range []string{h("b") + ".narinfo", h("c") + ".narinfo", "nar/b.nar", "nar/c.nar", "nix-cache-info"} {
		if _, err := m.HeadObject(ctx, b.ID, key); err != nil {
			t.Errorf("%s removed: %v", key, err)
		}
	}
	for _, key := range []string{h("a") + ".narinfo", "nar/a.nar", "nar/orphan.nar"} {
		if _, err := m.HeadObject(ctx, b.ID, key); err == nil {
			t.Errorf("%s kept", key)
		}
	}
}
