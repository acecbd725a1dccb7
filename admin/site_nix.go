package admin

import (
	"context"
	"net/http"

	"github.com/garage-web/garage-web/nixsign"
)

// NixCacheBackend stores the narinfo signing keys of Nix cache buckets.
// *model.Model implements it; it is part of Options.Sites.
type NixCacheBackend interface {
	SetNixCacheKey(ctx context.Context, bucketID, secret string) error
	GetNixCacheKey(ctx context.Context, bucketID string) (string, error)
}

// NixCacheKeyRequest is the body of SetNixCacheKey: a secret key in
// Nix's format (NAME:BASE64), "" to remove the key.
type NixCacheKeyRequest struct {
	BucketID  string `json:"bucketId"`
	SecretKey string `json:"secretKey"`
}

// NixCacheInfo describes a cache bucket's signing.
type NixCacheInfo struct {
	BucketID string `json:"bucketId"`
	// PublicKey is for clients' trusted-public-keys; "" without a key.
	PublicKey string `json:"publicKey"`
}

func (s *Server) nixRoutes() []route {
	return []route{
		{http.MethodPost, "/v2/SetNixCacheKey", "SetNixCacheKey", authAdmin, s.setNixCacheKey},
		{http.MethodGet, "/v2/GetNixCacheInfo", "GetNixCacheInfo", authAdmin, s.getNixCacheInfo},
	}
}

// POST /v2/SetNixCacheKey {"bucketId","secretKey"}: the cache's info.
func (s *Server) setNixCacheKey(w http.ResponseWriter, r *http.Request) error {
	if s.sites == nil {
		return newError(ErrNotImplemented, "this node has no Nix cache support")
	}
	var req NixCacheKeyRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.BucketID == "" {
		return badRequest("bucketId is required")
	}
	if req.SecretKey != "" {
		if _, err := nixsign.ParseSecretKey(req.SecretKey); err != nil {
			return badRequest("secretKey: %v", err)
		}
	}
	if err := s.sites.SetNixCacheKey(r.Context(), req.BucketID, req.SecretKey); err != nil {
		return siteAPIError(err)
	}
	return s.writeNixInfo(w, r, req.BucketID)
}

// GET /v2/GetNixCacheInfo?bucketId=ID
func (s *Server) getNixCacheInfo(w http.ResponseWriter, r *http.Request) error {
	if s.sites == nil {
		return newError(ErrNotImplemented, "this node has no Nix cache support")
	}
	id, err := queryParam(r, "bucketId")
	if err != nil {
		return err
	}
	if _, err := s.backend.GetBucket(r.Context(), id); err != nil {
		return err
	}
	return s.writeNixInfo(w, r, id)
}

func (s *Server) writeNixInfo(w http.ResponseWriter, r *http.Request, bucketID string) error {
	secret, err := s.sites.GetNixCacheKey(r.Context(), bucketID)
	if err != nil {
		return err
	}
	out := NixCacheInfo{BucketID: bucketID}
	if k, err := nixsign.ParseSecretKey(secret); err == nil {
		out.PublicKey = k.PublicKey()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
