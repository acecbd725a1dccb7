package model

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/garage-web/garage-web/table/crdt"
)

// TestACLMergeLaws: versions seen with different ACL registers (several
// PutObjectAcl writes, some replicas missing some) merge commutatively,
// associatively and idempotently; markers keep no ACL.
func TestACLMergeLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	acls := []ACL{{}, {Canned: "public-read", PublicRead: true}, {AuthenticatedRead: true}, {Grants: []Grant{{KeyID: "GK1", Permission: PermRead}}}}
	for i := 0; i < 2000; i++ {
		h := randHistory(r)
		for _, ev := range h.events {
			if ev.State != StateComplete {
				continue
			}
			for j := r.IntN(4); j > 0; j-- {
				v := ev
				a := acls[r.IntN(len(acls))]
				v.ACL = crdt.NewLWW(ev.TS+1+uint64(r.IntN(3)), &a)
				h.events = append(h.events, v)
			}
		}
		a, b, c := h.replica(r), h.replica(r), h.replica(r)
		if !sameObject(a.Merge(b), b.Merge(a)) {
			t.Fatalf("not commutative:\n%+v\n%+v", a, b)
		}
		if !sameObject(a.Merge(b).Merge(c), a.Merge(b.Merge(c))) {
			t.Fatalf("not associative:\n%+v\n%+v\n%+v", a, b, c)
		}
		if !sameObject(a.Merge(a), a) {
			t.Fatalf("not idempotent: %+v", a)
		}
		for _, v := range a.Merge(b).Merge(c).Versions {
			if v.State != StateComplete && v.ACL.Value != nil {
				t.Fatalf("marker %s keeps an ACL", v.UUID)
			}
		}
	}
}

func TestBucketACLAndPolicyMerge(t *testing.T) {
	pub := ACL{PublicRead: true}
	a := Bucket{ID: "b", ACL: crdt.NewLWW(5, &pub), Policy: crdt.NewLWW(3, "p1")}
	b := Bucket{ID: "b", ACL: crdt.NewLWW(7, &ACL{}), Policy: crdt.NewLWW(2, "p0")}
	for _, m := range []Bucket{a.Merge(b), b.Merge(a)} {
		if m.ACL.TS != 7 || !m.BucketACL().IsPrivate() || m.Policy.Value != "p1" {
			t.Fatalf("merged %+v", m)
		}
	}
	if (Bucket{}).BucketACL().PublicRead {
		t.Fatal("a bucket without ACL is not private")
	}
}

func TestSetObjectACL(t *testing.T) {
	ctx := context.Background()
	e := newTestModel(t)
	if err := e.m.SetObjectACL(ctx, "b", "missing", ACL{PublicRead: true}); !errors.Is(err, ErrNoSuchObject) {
		t.Fatalf("ACL of a missing key: %v", err)
	}
	v1 := put(t, e.m, "b", "k", []byte("one"))
	if !v1.ObjectACL().IsPrivate() {
		t.Fatalf("new object ACL %+v", v1.ObjectACL())
	}
	if err := e.m.SetObjectACL(ctx, "b", "k", ACL{Canned: "public-read", PublicRead: true}); err != nil {
		t.Fatal(err)
	}
	got, err := e.m.HeadObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if got.UUID != v1.UUID || !got.ObjectACL().PublicRead || got.ACL.TS <= v1.TS {
		t.Fatalf("after SetObjectACL: %+v", got)
	}
	if string(got.Data.Inline) != "one" {
		t.Fatalf("data changed: %q", got.Data.Inline)
	}
	// A newer PUT starts private; a late ACL write of the old version does
	// not bring it back.
	put(t, e.m, "b", "k", []byte("two"))
	late := got
	late.ACL = crdt.NewLWW(e.m.clock.Now(), &ACL{AuthenticatedRead: true})
	if err := e.m.objects.Insert(ctx, Object{Bucket: "b", Key: "k", Versions: []ObjectVersion{late}}); err != nil {
		t.Fatal(err)
	}
	cur, err := e.m.HeadObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if cur.UUID == v1.UUID || !cur.ObjectACL().IsPrivate() {
		t.Fatalf("late ACL write brought back %+v", cur)
	}
}

func TestObjectACLFromHeader(t *testing.T) {
	v := ObjectVersion{Meta: &ObjectMeta{Headers: map[string]string{ACLHeader: EncodeACL(ACL{Canned: "authenticated-read", AuthenticatedRead: true})}}}
	if a := v.ObjectACL(); !a.AuthenticatedRead || a.PublicRead {
		t.Fatalf("ACL from header %+v", a)
	}
	v.Meta.Headers[ACLHeader] = "{broken"
	if !v.ObjectACL().IsPrivate() {
		t.Fatal("an unreadable stored ACL is not private")
	}
	v.ACL = crdt.NewLWW(1, &ACL{PublicRead: true})
	if !v.ObjectACL().PublicRead {
		t.Fatal("the register does not override the header")
	}
}

func TestACLNormalize(t *testing.T) {
	a := ACL{Grants: []Grant{{"GK2", PermRead}, {"GK1", PermReadACP}, {"GK1", PermRead}, {"GK2", PermRead}}}.Normalize()
	want := []Grant{{"GK1", PermRead}, {"GK1", PermReadACP}, {"GK2", PermRead}}
	if len(a.Grants) != len(want) {
		t.Fatalf("normalized %+v", a.Grants)
	}
	for i := range want {
		if a.Grants[i] != want[i] {
			t.Fatalf("normalized %+v", a.Grants)
		}
	}
	if !a.KeyHas("GK1", PermReadACP) || a.KeyHas("GK2", PermReadACP) || !(ACL{Grants: []Grant{{"GK3", PermFull}}}).KeyHas("GK3", PermWrite) {
		t.Fatal("KeyHas")
	}
}
