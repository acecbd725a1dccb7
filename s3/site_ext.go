package s3

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// The site extension: `garage-web site …` manages deploys (docs/hosting.md)
// over signed S3 requests, with the same access key as its uploads:
//
//	POST /SITE?x-garage-web-site=OP   JSON body, JSON answer
//
// OP is create, finish, publish, rollback, info, domain-add,
// domain-remove or retention. Errors are S3 error documents.

// SiteQuery is the query parameter that selects the site extension.
const SiteQuery = "x-garage-web-site"

// isSiteExtension reports whether r is a site extension request.
func isSiteExtension(r *http.Request) bool {
	_, ok := r.URL.Query()[SiteQuery]
	return ok && r.Method == http.MethodPost
}

// SiteRequest is the body of a site extension request; each operation
// reads the fields it needs.
type SiteRequest struct {
	ID      string `json:"id,omitempty"`
	Message string `json:"message,omitempty"`
	Publish bool   `json:"publish,omitempty"`
	Domain  string `json:"domain,omitempty"`
	Keep    int    `json:"keep,omitempty"`
	// MaxAge is a Go duration ("720h"); "" keeps no age limit.
	MaxAge string `json:"maxAge,omitempty"`
}

// SiteResponse is the answer of every site extension operation.
type SiteResponse struct {
	Site string `json:"site"`
	// Deploy is the deploy the operation created or changed.
	Deploy *model.Deploy `json:"deploy,omitempty"`
	// Bucket and Base: see model.DeployStart (create only).
	Bucket string `json:"bucket,omitempty"`
	Base   string `json:"base,omitempty"`
	// Live is the live deploy's id; Deploys (newest first) and Domains
	// the site's (info only).
	Live      string              `json:"live"`
	Deploys   []model.Deploy      `json:"deploys,omitempty"`
	Domains   []string            `json:"domains,omitempty"`
	Retention model.SiteRetention `json:"retention"`
}

const maxSiteRequest = 64 << 10

// siteExtension authenticates and serves a site extension request. The
// key needs write permission on the bucket the site's name points at
// (read for info); for a site without one, create needs the right to
// create buckets and finish write permission on the deploy's bucket.
func (s *Server) siteExtension(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.authenticate(r, req); err != nil {
		return err
	}
	defer req.auth.Body.Close()
	body, err := io.ReadAll(io.LimitReader(req.auth.Body, maxSiteRequest+1))
	if err != nil {
		return err
	}
	var in SiteRequest
	if len(body) > maxSiteRequest {
		return s3err.WithMessage(s3err.ErrInvalidRequest, "The site request body is larger than %d bytes.", maxSiteRequest)
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return s3err.WithMessage(s3err.ErrInvalidRequest, "The site request body is not valid JSON: %v", err)
		}
	}
	ctx := r.Context()
	site := req.bucketName
	op := r.URL.Query().Get(SiteQuery)
	k, err := s.model.GetKeyFresh(ctx, req.accessKey.ID)
	if err != nil {
		return err
	}
	need := accessWrite
	if op == "info" {
		need = accessRead
	}
	live, err := s.model.ResolveBucketFresh(ctx, site)
	switch {
	case err == nil:
		if !s.allowed(&k, live, need) {
			return s3err.ErrAccessDenied
		}
	case !errors.Is(err, model.ErrNoSuchBucket):
		return err
	case op == "create":
		if !k.AllowCreateBucket.Value {
			return s3err.WithMessage(s3err.ErrAccessDenied, "Site %q does not exist and this key may not create buckets.", site)
		}
	default:
		if err := s.allowedOnDeploy(ctx, &k, site, in.ID, need); err != nil {
			return err
		}
	}
	out := SiteResponse{Site: site}
	var d model.Deploy
	err = nil
	switch op {
	case "create":
		st, err := s.model.CreateDeploy(ctx, site, k.ID, in.Message)
		if err != nil {
			return siteError(err)
		}
		d, out.Bucket, out.Base = st.Deploy, st.Bucket, st.Base
	case "finish":
		d, err = s.model.FinishDeploy(ctx, site, in.ID, in.Publish)
	case "publish":
		d, err = s.model.PublishDeploy(ctx, site, in.ID)
	case "rollback":
		d, err = s.model.RollbackSite(ctx, site, in.ID)
	case "domain-add":
		err = s.model.AddSiteDomain(ctx, site, in.Domain)
	case "domain-remove":
		err = s.model.RemoveSiteDomain(ctx, site, in.Domain)
	case "retention":
		var age time.Duration
		if in.MaxAge != "" {
			if age, err = time.ParseDuration(in.MaxAge); err != nil {
				return s3err.WithMessage(s3err.ErrInvalidArgument, "maxAge %q is not a duration.", in.MaxAge)
			}
		}
		err = s.model.SetSiteRetention(ctx, site, model.SiteRetention{Keep: in.Keep, MaxAge: age})
	case "info":
	default:
		return s3err.WithMessage(s3err.ErrInvalidArgument, "Unknown site operation %q.", op)
	}
	if err != nil {
		return siteError(err)
	}
	if d.ID != "" {
		out.Deploy = &d
	}
	rec, err := s.model.GetSite(ctx, site)
	if err != nil {
		return siteError(err)
	}
	out.Live, out.Deploys, out.Domains, out.Retention = rec.Live.Value, rec.DeployList(), rec.DomainList(), rec.Retention.Value
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(out)
}

// allowedOnDeploy checks k's right on the bucket of deploy id of a site
// that has no live bucket yet.
func (s *Server) allowedOnDeploy(ctx context.Context, k *model.Key, site, id string, need access) error {
	rec, err := s.model.GetSite(ctx, site)
	if err != nil {
		return siteError(err)
	}
	d, ok := rec.Deploy(id)
	if !ok {
		return s3err.WithMessage(s3err.ErrNoSuchBucket, "Site %q has no deploy %q.", site, id)
	}
	b, err := s.model.GetBucket(ctx, d.Bucket)
	if err != nil {
		return err
	}
	if !s.allowed(k, b, need) {
		return s3err.ErrAccessDenied
	}
	return nil
}

// siteError maps the model's site errors to S3 errors.
func siteError(err error) error {
	switch {
	case errors.Is(err, model.ErrNoSuchSite):
		return s3err.WithMessage(s3err.ErrNoSuchBucket, "%v", err)
	case errors.Is(err, model.ErrNoSuchDeploy), errors.Is(err, model.ErrDeployNotReady),
		errors.Is(err, model.ErrNoRollback), errors.Is(err, model.ErrInvalidSiteRequest):
		return s3err.WithMessage(s3err.ErrInvalidRequest, "%v", err)
	case errors.Is(err, model.ErrInvalidBucketName):
		return s3err.WithMessage(s3err.ErrInvalidBucketName, "%v", err)
	case errors.Is(err, model.ErrBucketExists):
		return s3err.WithMessage(s3err.ErrBucketAlreadyExists, "%v", err)
	}
	return err
}
