package model

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func putTestFile(t *testing.T, m *Model, bucketID, key, body string) {
	t.Helper()
	if _, err := m.PutObject(context.Background(), PutObjectInput{BucketID: bucketID, Key: key, Body: strings.NewReader(body), Size: int64(len(body)),
		Digest: func() (string, map[string]string) {
			sum := md5.Sum([]byte(body))
			return hex.EncodeToString(sum[:]), nil
		}}); err != nil {
		t.Fatal(err)
	}
}

func TestSiteDeployPublishRollback(t *testing.T) {
	ctx := context.Background()
	env := newTestModel(t)
	m := env.m
	k, err := m.CreateKey(ctx, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	first, err := m.CreateDeploy(ctx, "blog", k.ID, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if first.Base != "" || first.Bucket != PreviewName("blog", first.Deploy.ID) || !ValidDeployID(first.Deploy.ID) {
		t.Fatalf("first deploy: %+v", first)
	}
	if _, err := m.ResolveBucketFresh(ctx, "blog"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("site visible before its deploy finished: %v", err)
	}
	putTestFile(t, m, first.Deploy.Bucket, "index.html", "one")
	if _, err := m.PublishDeploy(ctx, "blog", first.Deploy.ID); !errors.Is(err, ErrDeployNotReady) {
		t.Fatalf("publish of an unfinished deploy: %v", err)
	}
	d1, err := m.FinishDeploy(ctx, "blog", first.Deploy.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if d1.Files != 1 || d1.Size != 3 || d1.Published == 0 {
		t.Fatalf("finished deploy: %+v", d1)
	}
	b, err := m.ResolveBucketFresh(ctx, "blog")
	if err != nil || b.ID != first.Deploy.Bucket || b.Website.Value == nil || b.Website.Value.IndexDocument != "index.html" {
		t.Fatalf("live bucket %+v, %v", b, err)
	}
	if !k.Permissions(b.ID).Any() {
		if k2, _ := m.GetKeyFresh(ctx, k.ID); !k2.Permissions(b.ID).Owner {
			t.Fatal("deployer does not own the site")
		}
	}

	second, err := m.CreateDeploy(ctx, "blog", k.ID, "v2")
	if err != nil {
		t.Fatal(err)
	}
	if second.Base != first.Bucket {
		t.Fatalf("base %q, want %q", second.Base, first.Bucket)
	}
	if k2, _ := m.GetKeyFresh(ctx, k.ID); !k2.Permissions(second.Deploy.Bucket).Owner {
		t.Fatal("grants not copied to the new deploy")
	}
	putTestFile(t, m, second.Deploy.Bucket, "index.html", "two")
	if _, err := m.FinishDeploy(ctx, "blog", second.Deploy.ID, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.ResolveBucketFresh(ctx, "blog"); b.ID != first.Deploy.Bucket {
		t.Fatal("--no-publish deploy went live")
	}
	if _, err := m.PublishDeploy(ctx, "blog", second.Deploy.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.AddSiteDomain(ctx, "blog", "www.example.org"); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.ResolveBucketFresh(ctx, "www.example.org"); b.ID != second.Deploy.Bucket {
		t.Fatal("domain does not serve the live deploy")
	}
	d, err := m.RollbackSite(ctx, "blog", "")
	if err != nil || d.ID != first.Deploy.ID {
		t.Fatalf("rollback: %+v %v", d, err)
	}
	for _, name := range []string{"blog", "www.example.org"} {
		if b, _ := m.ResolveBucketFresh(ctx, name); b.ID != first.Deploy.Bucket {
			t.Fatalf("%s after rollback: %s", name, b.ID)
		}
	}
	s, err := m.GetSite(ctx, "blog")
	if err != nil {
		t.Fatal(err)
	}
	list := s.DeployList()
	if len(list) != 2 || list[0].ID != second.Deploy.ID || s.Live.Value != first.Deploy.ID {
		t.Fatalf("deploys %+v live %s", list, s.Live.Value)
	}
	if err := m.RemoveSiteDomain(ctx, "blog", "www.example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ResolveBucketFresh(ctx, "www.example.org"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("removed domain still resolves: %v", err)
	}
}

func TestSiteAdoptsExistingBucketAndCollects(t *testing.T) {
	ctx := context.Background()
	m := newTestModel(t).m
	k, _ := m.CreateKey(ctx, "k")
	old, err := m.CreateBucket(ctx, "docs", k.ID)
	if err != nil {
		t.Fatal(err)
	}
	putTestFile(t, m, old.ID, "a.txt", "a")
	start, err := m.CreateDeploy(ctx, "docs", k.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if start.Base == "" {
		t.Fatal("the existing bucket was not adopted")
	}
	if b, _ := m.ResolveBucketFresh(ctx, start.Base); b.ID != old.ID {
		t.Fatal("base is not the old bucket")
	}
	if _, err := m.FinishDeploy(ctx, "docs", start.Deploy.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := m.SetSiteRetention(ctx, "docs", SiteRetention{Keep: 1}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		st, err := m.CreateDeploy(ctx, "docs", k.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.FinishDeploy(ctx, "docs", st.Deploy.ID, true); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.Deploy.ID)
	}
	s, _ := m.GetSite(ctx, "docs")
	list := s.DeployList()
	if len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] {
		t.Fatalf("kept %+v", list)
	}
	if _, err := m.GetBucket(ctx, old.ID); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("collected deploy's bucket still there: %v", err)
	}
}

func TestSiteExpiredKeepsAbandonedYoungDeploys(t *testing.T) {
	now := time.Now()
	ms := func(d time.Duration) uint64 { return uint64(now.Add(-d).UnixMilli()) }
	s := Site{Name: "x"}
	add := func(id string, created uint64, ready bool) {
		s.Deploys = s.Deploys.Set(id, 1, &Deploy{ID: id, Created: created, Ready: ready, Published: created})
	}
	add("a", ms(3*time.Hour), true)
	add("b", ms(2*time.Hour), false)
	add("c", ms(48*time.Hour), false)
	s.Live.Value = "a"
	got := s.expired(now)
	if len(got) != 1 || got[0].ID != "c" {
		t.Fatalf("expired %+v", got)
	}
}

func TestDeployIDs(t *testing.T) {
	id := newDeployID(time.Now())
	if !ValidDeployID(id) {
		t.Fatalf("%q", id)
	}
	if _, site, ok := ParsePreviewName(PreviewName("blog", id)); !ok || site != "blog" {
		t.Fatal("preview name does not parse")
	}
	if ValidSiteName(PreviewName("blog", id)) || !ValidSiteName("blog") {
		t.Fatal("ValidSiteName")
	}
}
