package admin_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
)

func TestClientRoundTrip(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	c := ts.client
	ctx := context.Background()

	info, err := c.NodeInfo(ctx)
	if err != nil || info.Zone != "dc1" {
		t.Fatalf("NodeInfo = %+v, %v", info, err)
	}
	k, err := c.CreateKey(ctx, admin.CreateKeyRequest{Name: "web"})
	if err != nil || k.SecretAccessKey == "" || !strings.HasPrefix(k.AccessKeyID, "GK") {
		t.Fatalf("CreateKey = %+v, %v", k, err)
	}
	got, err := c.GetKey(ctx, admin.KeyQuery{Search: "web"})
	if err != nil || got.AccessKeyID != k.AccessKeyID || got.SecretAccessKey != "" {
		t.Fatalf("GetKey = %+v, %v", got, err)
	}
	got, err = c.GetKey(ctx, admin.KeyQuery{ID: k.AccessKeyID, ShowSecret: true})
	if err != nil || got.SecretAccessKey != k.SecretAccessKey {
		t.Fatalf("GetKey with secret = %+v, %v", got, err)
	}
	name := "web2"
	got, err = c.UpdateKey(ctx, k.AccessKeyID, admin.UpdateKeyRequest{Name: &name, Allow: &admin.KeyPermissions{CreateBucket: true}})
	if err != nil || got.Name != "web2" || !got.Permissions.CreateBucket {
		t.Fatalf("UpdateKey = %+v, %v", got, err)
	}

	b, err := c.CreateBucket(ctx, "site")
	if err != nil {
		t.Fatal(err)
	}
	b, err = c.AllowBucketKey(ctx, admin.BucketKeyRequest{BucketID: b.ID, AccessKeyID: k.AccessKeyID, Permissions: admin.Permissions{Read: true, Owner: true}})
	if err != nil || len(b.Keys) != 1 || b.Keys[0].Name != "web2" || !b.Keys[0].Permissions.Owner {
		t.Fatalf("AllowBucketKey = %+v, %v", b, err)
	}
	b, err = c.DenyBucketKey(ctx, admin.BucketKeyRequest{BucketID: b.ID, AccessKeyID: k.AccessKeyID, Permissions: admin.Permissions{Read: true, Owner: true}})
	if err != nil || len(b.Keys) != 0 {
		t.Fatalf("DenyBucketKey = %+v, %v", b, err)
	}
	b, err = c.UpdateBucket(ctx, b.ID, admin.UpdateBucketRequest{WebsiteAccess: &admin.WebsiteAccess{Enabled: true, IndexDocument: "index.html"}})
	if err != nil || !b.WebsiteAccess || b.WebsiteConfig == nil || b.WebsiteConfig.IndexDocument != "index.html" {
		t.Fatalf("UpdateBucket = %+v, %v", b, err)
	}
	if got, err := c.GetBucket(ctx, admin.BucketQuery{GlobalAlias: "site"}); err != nil || got.ID != b.ID {
		t.Fatalf("GetBucket = %+v, %v", got, err)
	}
	if list, err := c.ListBuckets(ctx); err != nil || len(list) != 1 {
		t.Fatalf("ListBuckets = %+v, %v", list, err)
	}
	if err := c.DeleteBucket(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if list, err := c.ListKeys(ctx); err != nil || len(list) != 0 {
		t.Fatalf("ListKeys = %+v, %v", list, err)
	}
}

func TestClientErrors(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	ctx := context.Background()
	_, err := ts.client.GetBucket(ctx, admin.BucketQuery{Search: "ghost"})
	if !errors.Is(err, admin.ErrNoSuchBucket) || !errors.Is(err, admin.ErrNotFound) || errors.Is(err, admin.ErrNoSuchAccessKey) {
		t.Errorf("err = %v does not match the right sentinels", err)
	}
	if err.Error() != `bucket "ghost" not found` {
		t.Errorf("message %q", err)
	}

	bad := admin.NewClient(ts.srv.URL, "wrong", nil)
	if _, err := bad.ListKeys(ctx); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("wrong token: err = %v", err)
	}

	// A server that is not the admin API.
	other := httptest.NewServer(nil)
	defer other.Close()
	_, err = admin.NewClient(other.URL, "t", nil).ListKeys(ctx)
	var apiErr *admin.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("err = %v", err)
	}
}

func ExampleClient() {
	s, _ := admin.NewServer(admin.Options{
		Backend:    admintest.New(),
		AdminToken: "token",
		Logger:     slog.New(slog.DiscardHandler),
	})
	srv := httptest.NewServer(s)
	defer srv.Close()

	c := admin.NewClient(srv.URL, "token", nil)
	ctx := context.Background()
	b, _ := c.CreateBucket(ctx, "photos")
	k, _ := c.CreateKey(ctx, admin.CreateKeyRequest{Name: "uploader"})
	b, _ = c.AllowBucketKey(ctx, admin.BucketKeyRequest{
		BucketID: b.ID, AccessKeyID: k.AccessKeyID,
		Permissions: admin.Permissions{Read: true, Write: true},
	})
	fmt.Println(b.GlobalAliases[0], b.Keys[0].Name, b.Keys[0].Permissions)

	_, err := c.GetKey(ctx, admin.KeyQuery{Search: "nobody"})
	fmt.Println(err, errors.Is(err, admin.ErrNotFound))
	// Output:
	// photos uploader {true true false}
	// key "nobody" not found true
}
