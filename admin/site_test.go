package admin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/table/crdt"
)

// fakeSites is a SiteBackend with one site "blog" and two ready deploys.
type fakeSites struct{ site model.Site }

func newFakeSites() *fakeSites {
	s := model.Site{Name: "blog", Live: crdt.NewLWW(1, "da"), Domains: crdt.LWWMap[string, bool]{}.Set("www.example.org", 1, true)}
	s.Deploys = s.Deploys.Set("da", 1, &model.Deploy{ID: "da", Bucket: "b1", Created: 1000, Ready: true, Files: 3, Message: "one"})
	s.Deploys = s.Deploys.Set("db", 1, &model.Deploy{ID: "db", Bucket: "b2", Created: 2000, Ready: true, Files: 4})
	return &fakeSites{site: s}
}

func (f *fakeSites) GetSite(_ context.Context, name string) (model.Site, error) {
	if name != f.site.Name {
		return model.Site{}, model.ErrNoSuchSite
	}
	return f.site, nil
}

func (f *fakeSites) CreateDeploy(context.Context, string, string, string) (model.DeployStart, error) {
	return model.DeployStart{}, errors.New("unused")
}

func (f *fakeSites) FinishDeploy(context.Context, string, string, bool) (model.Deploy, error) {
	return model.Deploy{}, model.ErrDeployNotReady
}

func (f *fakeSites) PublishDeploy(_ context.Context, site, id string) (model.Deploy, error) {
	d, ok := f.site.Deploy(id)
	if !ok {
		return d, model.ErrNoSuchDeploy
	}
	f.site.Live = crdt.NewLWW(f.site.Live.TS+1, id)
	return d, nil
}

func (f *fakeSites) RollbackSite(ctx context.Context, site, id string) (model.Deploy, error) {
	return f.PublishDeploy(ctx, site, "da")
}

func (f *fakeSites) AddSiteDomain(context.Context, string, string) error {
	return model.ErrBucketExists
}
func (f *fakeSites) RemoveSiteDomain(context.Context, string, string) error { return nil }
func (f *fakeSites) SetSiteRetention(context.Context, string, model.SiteRetention) error {
	return nil
}
func (f *fakeSites) AliasBucket(context.Context, string, string) error    { return model.ErrNoSuchBucket }
func (f *fakeSites) UnaliasBucket(context.Context, string, string) error  { return nil }
func (f *fakeSites) SetNixCacheKey(context.Context, string, string) error { return nil }
func (f *fakeSites) GetNixCacheKey(context.Context, string) (string, error) {
	return "", nil
}
func (f *fakeSites) SetNixCachePin(context.Context, string, string, bool) error { return nil }
func (f *fakeSites) NixCachePins(context.Context, string) ([]string, error)     { return nil, nil }
func (f *fakeSites) CountPrefix(context.Context, string, string) (int64, int64, error) {
	return 0, 0, nil
}
func (f *fakeSites) NixCacheGC(context.Context, string, time.Duration, time.Time, bool) (model.NixGCResult, error) {
	return model.NixGCResult{}, nil
}

func TestSiteOperations(t *testing.T) {
	ts := mustServer(t, admin.Options{Sites: newFakeSites()})
	ctx := context.Background()
	info, err := ts.client.GetSite(ctx, "blog")
	if err != nil {
		t.Fatal(err)
	}
	if info.Live != "da" || len(info.Deploys) != 2 || info.Deploys[0].ID != "db" || !info.Deploys[1].Live || info.Domains[0] != "www.example.org" {
		t.Fatalf("GetSite: %+v", info)
	}
	info, err = ts.client.SiteOp(ctx, "PublishDeploy", admin.SiteRequest{Site: "blog", ID: "db"})
	if err != nil || info.Live != "db" || info.Deploy == nil || info.Deploy.ID != "db" || !info.Deploy.Live {
		t.Fatalf("PublishDeploy: %+v %v", info, err)
	}
	for _, c := range []struct {
		op, body string
		status   int
	}{
		{"PublishDeploy", `{"site":"blog","id":"nope"}`, http.StatusNotFound},
		{"PublishDeploy", `{"site":"blog"}`, http.StatusBadRequest},
		{"FinishDeploy", `{"site":"blog","id":"db"}`, http.StatusBadRequest},
		{"AddSiteDomain", `{"site":"blog","domain":"x.example.org"}`, http.StatusConflict},
		{"SetSiteRetention", `{"site":"blog","maxAge":"soon"}`, http.StatusBadRequest},
		{"RollbackSite", `{}`, http.StatusBadRequest},
	} {
		status, body := ts.call(t, http.MethodPost, "/v2/"+c.op, testToken, c.body)
		if status != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.op, c.body, status, body, c.status)
		}
	}
	status, body := ts.call(t, http.MethodGet, "/v2/GetSite?name=nope", testToken, "")
	if status != http.StatusNotFound || !strings.Contains(body, "NotFound") {
		t.Errorf("GetSite nope: %d %s", status, body)
	}
}

func TestSiteOperationsWithoutBackend(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	if status, _ := ts.call(t, http.MethodGet, "/v2/GetSite?name=blog", testToken, ""); status != http.StatusNotImplemented {
		t.Errorf("GetSite without a site backend: %d", status)
	}
}
