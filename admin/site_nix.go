package admin

import (
	"context"
	"net/http"
	"path"
	"time"

	"github.com/garage-web/garage-web/model"

	"github.com/garage-web/garage-web/nixsign"
)

// NixCacheBackend stores the narinfo signing keys of Nix cache buckets.
// *model.Model implements it; it is part of Options.Sites.
type NixCacheBackend interface {
	SetNixCacheKey(ctx context.Context, bucketID, secret string) error
	GetNixCacheKey(ctx context.Context, bucketID string) (string, error)
	SetNixCachePin(ctx context.Context, bucketID, hash string, pinned bool) error
	NixCachePins(ctx context.Context, bucketID string) ([]string, error)
	NixCacheGC(ctx context.Context, bucketID string, olderThan time.Duration, now time.Time, dryRun bool) (model.NixGCResult, error)
	CountPrefix(ctx context.Context, bucketID, prefix string) (objects, bytes int64, err error)
}

// NixCachePinRequest is the body of NixCachePin: a store path (or its
// 32-character hash part).
type NixCachePinRequest struct {
	BucketID  string `json:"bucketId"`
	StorePath string `json:"storePath"`
	Pinned    bool   `json:"pinned"`
}

// NixCacheGCRequest is the body of NixCacheGC.
type NixCacheGCRequest struct {
	BucketID  string `json:"bucketId"`
	OlderThan string `json:"olderThan"` // a Go duration, required
	DryRun    bool   `json:"dryRun"`
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
	// Pins are the pinned store paths' hash parts.
	Pins []string `json:"pins"`
	// Nars and NarBytes: the NARs stored (keys under nar/).
	Nars     int64 `json:"nars"`
	NarBytes int64 `json:"narBytes"`
}

func (s *Server) nixRoutes() []route {
	return []route{
		{http.MethodPost, "/v2/SetNixCacheKey", "SetNixCacheKey", authAdmin, s.setNixCacheKey},
		{http.MethodGet, "/v2/GetNixCacheInfo", "GetNixCacheInfo", authAdmin, s.getNixCacheInfo},
		{http.MethodPost, "/v2/NixCachePin", "NixCachePin", authAdmin, s.nixCachePin},
		{http.MethodPost, "/v2/NixCacheGC", "NixCacheGC", authAdmin, s.nixCacheGC},
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
	out := NixCacheInfo{BucketID: bucketID, Pins: []string{}}
	if k, err := nixsign.ParseSecretKey(secret); err == nil {
		out.PublicKey = k.PublicKey()
	}
	pins, err := s.sites.NixCachePins(r.Context(), bucketID)
	if err != nil {
		return err
	}
	out.Pins = append(out.Pins, pins...)
	if out.Nars, out.NarBytes, err = s.sites.CountPrefix(r.Context(), bucketID, "nar/"); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// POST /v2/NixCachePin {"bucketId","storePath","pinned"}: the cache's info.
func (s *Server) nixCachePin(w http.ResponseWriter, r *http.Request) error {
	if s.sites == nil {
		return newError(ErrNotImplemented, "this node has no Nix cache support")
	}
	var req NixCachePinRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	hash := path.Base(req.StorePath)
	if req.BucketID == "" || len(hash) < 32 {
		return badRequest("bucketId and storePath (/nix/store/HASH-NAME or HASH) are required")
	}
	if err := s.sites.SetNixCachePin(r.Context(), req.BucketID, hash[:32], req.Pinned); err != nil {
		return siteAPIError(err)
	}
	return s.writeNixInfo(w, r, req.BucketID)
}

// POST /v2/NixCacheGC {"bucketId","olderThan","dryRun"}: what was removed.
func (s *Server) nixCacheGC(w http.ResponseWriter, r *http.Request) error {
	if s.sites == nil {
		return newError(ErrNotImplemented, "this node has no Nix cache support")
	}
	var req NixCacheGCRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	age, err := time.ParseDuration(req.OlderThan)
	if req.BucketID == "" || err != nil || age < 0 {
		return badRequest("bucketId and olderThan (a duration such as \"720h\") are required")
	}
	if _, err := s.backend.GetBucket(r.Context(), req.BucketID); err != nil {
		return err
	}
	res, err := s.sites.NixCacheGC(r.Context(), req.BucketID, age, time.Now(), req.DryRun)
	if err != nil {
		return siteAPIError(err)
	}
	if res.Narinfos == nil {
		res.Narinfos = []string{}
	}
	if res.Nars == nil {
		res.Nars = []string{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
