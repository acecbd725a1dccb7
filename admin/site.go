package admin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/garage-web/garage-web/model"
)

// SiteBackend manages sites, deploys and bucket aliases (docs/hosting.md).
// *model.Model implements it. Optional: without one (Options.Sites nil)
// the site operations answer 501.
type SiteBackend interface {
	GetSite(ctx context.Context, name string) (model.Site, error)
	CreateDeploy(ctx context.Context, site, ownerKeyID, message string) (model.DeployStart, error)
	FinishDeploy(ctx context.Context, site, id string, publish bool) (model.Deploy, error)
	PublishDeploy(ctx context.Context, site, id string) (model.Deploy, error)
	RollbackSite(ctx context.Context, site, id string) (model.Deploy, error)
	AddSiteDomain(ctx context.Context, site, domain string) error
	RemoveSiteDomain(ctx context.Context, site, domain string) error
	SetSiteRetention(ctx context.Context, site string, r model.SiteRetention) error
	AliasBucket(ctx context.Context, bucketID, name string) error
	UnaliasBucket(ctx context.Context, bucketID, name string) error
	NixCacheBackend
}

var _ SiteBackend = (*model.Model)(nil)

// SiteInfo describes a site: GetSite and every site operation answer it.
type SiteInfo struct {
	Name string `json:"name"`
	// Live is the id of the live deploy ("" before the first publish).
	Live    string       `json:"live"`
	Deploys []DeployInfo `json:"deploys"` // newest first
	Domains []string     `json:"domains"`
	Keep    int          `json:"keep"`             // deploys kept (0: the default, 10)
	MaxAge  string       `json:"maxAge"`           // Go duration, "" for no age limit
	Deploy  *DeployInfo  `json:"deploy,omitempty"` // the deploy an operation created or changed
	// Bucket and Base (CreateDeploy): the deploy's bucket name, and the
	// live deploy's to copy unchanged files from ("" none).
	Bucket string `json:"bucket,omitempty"`
	Base   string `json:"base,omitempty"`
}

// DeployInfo is one deploy of a site.
type DeployInfo struct {
	ID        string     `json:"id"`
	Live      bool       `json:"live"`
	Ready     bool       `json:"ready"`
	Time      time.Time  `json:"time"`
	Files     int64      `json:"files"`
	Size      int64      `json:"size"`
	Message   string     `json:"message"`
	BucketID  string     `json:"bucketId"`
	Published *time.Time `json:"published,omitempty"`
}

// SiteRequest is the body of the site operations; each reads the fields
// it needs.
type SiteRequest struct {
	Site        string `json:"site"`
	ID          string `json:"id,omitempty"`
	Message     string `json:"message,omitempty"`
	Publish     bool   `json:"publish,omitempty"`
	Domain      string `json:"domain,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	Keep        int    `json:"keep,omitempty"`
	MaxAge      string `json:"maxAge,omitempty"`
}

// BucketAliasRequest is the body of AddBucketAlias and RemoveBucketAlias.
type BucketAliasRequest struct {
	BucketID    string `json:"bucketId"`
	GlobalAlias string `json:"globalAlias"`
}

func (s *Server) siteRoutes() []route {
	return append([]route{
		{http.MethodGet, "/v2/GetSite", "GetSite", authAdmin, s.getSite},
		{http.MethodPost, "/v2/CreateDeploy", "CreateDeploy", authAdmin, s.siteOp(opCreateDeploy)},
		{http.MethodPost, "/v2/FinishDeploy", "FinishDeploy", authAdmin, s.siteOp(opFinishDeploy)},
		{http.MethodPost, "/v2/PublishDeploy", "PublishDeploy", authAdmin, s.siteOp(opPublish)},
		{http.MethodPost, "/v2/RollbackSite", "RollbackSite", authAdmin, s.siteOp(opRollback)},
		{http.MethodPost, "/v2/AddSiteDomain", "AddSiteDomain", authAdmin, s.siteOp(opAddDomain)},
		{http.MethodPost, "/v2/RemoveSiteDomain", "RemoveSiteDomain", authAdmin, s.siteOp(opRemoveDomain)},
		{http.MethodPost, "/v2/SetSiteRetention", "SetSiteRetention", authAdmin, s.siteOp(opRetention)},
		{http.MethodPost, "/v2/AddBucketAlias", "AddBucketAlias", authAdmin, s.bucketAlias(true)},
		{http.MethodPost, "/v2/RemoveBucketAlias", "RemoveBucketAlias", authAdmin, s.bucketAlias(false)},
	}, s.nixRoutes()...)
}

type siteOpFunc func(ctx context.Context, b SiteBackend, req SiteRequest, out *SiteInfo) (model.Deploy, error)

func opCreateDeploy(ctx context.Context, b SiteBackend, req SiteRequest, out *SiteInfo) (model.Deploy, error) {
	st, err := b.CreateDeploy(ctx, req.Site, req.AccessKeyID, req.Message)
	out.Bucket, out.Base = st.Bucket, st.Base
	return st.Deploy, err
}

func opFinishDeploy(ctx context.Context, b SiteBackend, req SiteRequest, _ *SiteInfo) (model.Deploy, error) {
	return b.FinishDeploy(ctx, req.Site, req.ID, req.Publish)
}

func opPublish(ctx context.Context, b SiteBackend, req SiteRequest, _ *SiteInfo) (model.Deploy, error) {
	if req.ID == "" {
		return model.Deploy{}, badRequest("id is required")
	}
	return b.PublishDeploy(ctx, req.Site, req.ID)
}

func opRollback(ctx context.Context, b SiteBackend, req SiteRequest, _ *SiteInfo) (model.Deploy, error) {
	return b.RollbackSite(ctx, req.Site, req.ID)
}

func opAddDomain(ctx context.Context, b SiteBackend, req SiteRequest, _ *SiteInfo) (model.Deploy, error) {
	return model.Deploy{}, b.AddSiteDomain(ctx, req.Site, req.Domain)
}

func opRemoveDomain(ctx context.Context, b SiteBackend, req SiteRequest, _ *SiteInfo) (model.Deploy, error) {
	return model.Deploy{}, b.RemoveSiteDomain(ctx, req.Site, req.Domain)
}

func opRetention(ctx context.Context, b SiteBackend, req SiteRequest, _ *SiteInfo) (model.Deploy, error) {
	var age time.Duration
	if req.MaxAge != "" {
		var err error
		if age, err = time.ParseDuration(req.MaxAge); err != nil {
			return model.Deploy{}, badRequest("maxAge %q is not a duration", req.MaxAge)
		}
	}
	return model.Deploy{}, b.SetSiteRetention(ctx, req.Site, model.SiteRetention{Keep: req.Keep, MaxAge: age})
}

// siteOp serves POST /v2/<Op> {"site", …}: the site after the operation.
func (s *Server) siteOp(op siteOpFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.sites == nil {
			return newError(ErrNotImplemented, "this node serves no sites")
		}
		var req SiteRequest
		if err := decodeBody(r, &req, false); err != nil {
			return err
		}
		if req.Site == "" {
			return badRequest("site is required")
		}
		var out SiteInfo
		d, err := op(r.Context(), s.sites, req, &out)
		if err != nil {
			return siteAPIError(err)
		}
		return s.writeSite(w, r, req.Site, d, out)
	}
}

// GET /v2/GetSite?name=SITE
func (s *Server) getSite(w http.ResponseWriter, r *http.Request) error {
	if s.sites == nil {
		return newError(ErrNotImplemented, "this node serves no sites")
	}
	name, err := queryParam(r, "name")
	if err != nil {
		return err
	}
	return s.writeSite(w, r, name, model.Deploy{}, SiteInfo{})
}

func (s *Server) writeSite(w http.ResponseWriter, r *http.Request, name string, d model.Deploy, out SiteInfo) error {
	site, err := s.sites.GetSite(r.Context(), name)
	if err != nil {
		return siteAPIError(err)
	}
	out.Name, out.Live, out.Domains = site.Name, site.Live.Value, site.DomainList()
	out.Keep = site.Retention.Value.Keep
	if a := site.Retention.Value.MaxAge; a > 0 {
		out.MaxAge = a.String()
	}
	if out.Domains == nil {
		out.Domains = []string{}
	}
	out.Deploys = []DeployInfo{}
	for _, dd := range site.DeployList() {
		out.Deploys = append(out.Deploys, deployInfo(dd, site.Live.Value))
	}
	if d.ID != "" {
		di := deployInfo(d, site.Live.Value)
		out.Deploy = &di
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func deployInfo(d model.Deploy, live string) DeployInfo {
	out := DeployInfo{ID: d.ID, Live: d.ID == live, Ready: d.Ready, Time: time.UnixMilli(int64(d.Created)).UTC(),
		Files: d.Files, Size: d.Size, Message: d.Message, BucketID: d.Bucket}
	if d.Published != 0 {
		p := time.UnixMilli(int64(d.Published)).UTC()
		out.Published = &p
	}
	return out
}

// POST /v2/AddBucketAlias and /v2/RemoveBucketAlias {"bucketId","globalAlias"}
func (s *Server) bucketAlias(add bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.sites == nil {
			return newError(ErrNotImplemented, "this node has no alias support")
		}
		var req BucketAliasRequest
		if err := decodeBody(r, &req, false); err != nil {
			return err
		}
		if req.BucketID == "" || req.GlobalAlias == "" {
			return badRequest("bucketId and globalAlias are required")
		}
		var err error
		if add {
			err = s.sites.AliasBucket(r.Context(), req.BucketID, req.GlobalAlias)
		} else {
			err = s.sites.UnaliasBucket(r.Context(), req.BucketID, req.GlobalAlias)
		}
		if err != nil {
			return siteAPIError(err)
		}
		b, err := s.backend.GetBucket(r.Context(), req.BucketID)
		if err != nil {
			return err
		}
		return writeBucket(w, b)
	}
}

// siteAPIError maps the model's errors to this package's sentinels.
func siteAPIError(err error) error {
	switch {
	case errors.Is(err, model.ErrNoSuchSite), errors.Is(err, model.ErrNoSuchDeploy), errors.Is(err, model.ErrNoSuchBucket):
		return Errorf(ErrNotFound, "%v", err)
	case errors.Is(err, model.ErrBucketExists):
		return Errorf(ErrConflict, "%v", err)
	case errors.Is(err, model.ErrDeployNotReady), errors.Is(err, model.ErrNoRollback),
		errors.Is(err, model.ErrInvalidSiteRequest), errors.Is(err, model.ErrInvalidBucketName), errors.Is(err, model.ErrNoSuchAccessKey):
		return Errorf(ErrBadRequest, "%v", err)
	}
	return err
}
