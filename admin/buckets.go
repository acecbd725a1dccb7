package admin

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// POST /v2/CreateBucket {"globalAlias"}: the new bucket.
func (s *Server) createBucket(w http.ResponseWriter, r *http.Request) error {
	var req CreateBucketRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.GlobalAlias == "" {
		return badRequest("globalAlias is required")
	}
	b, err := s.backend.CreateBucket(r.Context(), req.GlobalAlias)
	if err != nil {
		return err
	}
	return writeBucket(w, b)
}

// GET /v2/ListBuckets: buckets sorted by first alias, then id.
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request) error {
	buckets, err := s.backend.ListBuckets(r.Context())
	if err != nil {
		return err
	}
	buckets = slices.Clone(buckets)
	for i := range buckets {
		if buckets[i].GlobalAliases == nil {
			buckets[i].GlobalAliases = []string{}
		}
	}
	slices.SortFunc(buckets, func(a, b BucketSummary) int {
		return cmp.Or(cmp.Compare(firstAlias(a), firstAlias(b)), cmp.Compare(a.ID, b.ID))
	})
	if buckets == nil {
		buckets = []BucketSummary{}
	}
	writeJSON(w, http.StatusOK, buckets)
	return nil
}

// GET /v2/GetBucketInfo?id=|globalAlias=|search=
func (s *Server) getBucketInfo(w http.ResponseWriter, r *http.Request) error {
	name, value, err := oneQueryParam(r, "id", "globalAlias", "search")
	if err != nil {
		return err
	}
	id := value
	if name != "id" {
		if id, err = s.searchBucket(r.Context(), value, name == "globalAlias"); err != nil {
			return err
		}
	}
	b, err := s.backend.GetBucket(r.Context(), id)
	if err != nil {
		return err
	}
	return writeBucket(w, b)
}

// POST /v2/UpdateBucket?id=ID {"websiteAccess"?}: the updated bucket.
func (s *Server) updateBucket(w http.ResponseWriter, r *http.Request) error {
	id, err := queryParam(r, "id")
	if err != nil {
		return err
	}
	var req UpdateBucketRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	ctx := r.Context()
	if wa := req.WebsiteAccess; wa != nil {
		if wa.Enabled && wa.IndexDocument == "" {
			return badRequest("websiteAccess.indexDocument is required to enable website access")
		}
		if !wa.Enabled && (wa.IndexDocument != "" || wa.ErrorDocument != "" || wa.Uploads) {
			return badRequest("websiteAccess documents and uploads cannot be set when disabling website access")
		}
		var cfg *WebsiteConfig
		if wa.Enabled {
			cfg = &WebsiteConfig{IndexDocument: wa.IndexDocument, ErrorDocument: wa.ErrorDocument, Uploads: wa.Uploads}
		}
		if err := s.backend.SetBucketWebsite(ctx, id, cfg); err != nil {
			return err
		}
	}
	b, err := s.backend.GetBucket(ctx, id)
	if err != nil {
		return err
	}
	return writeBucket(w, b)
}

// POST /v2/DeleteBucket?id=ID: 200 with no body; 409 BucketNotEmpty.
func (s *Server) deleteBucket(w http.ResponseWriter, r *http.Request) error {
	id, err := queryParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.backend.DeleteBucket(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// EmptyBucketResult is the answer of EmptyBucket.
type EmptyBucketResult struct {
	// Deleted is how many objects this call deleted.
	Deleted int `json:"deleted"`
	// More is true while objects remain: call EmptyBucket again.
	More bool `json:"more"`
}

// maxEmptyBatch bounds the objects one EmptyBucket call deletes, so that
// a call answers within seconds and a client can show progress.
const maxEmptyBatch = 1000

// POST /v2/EmptyBucket?id=ID[&limit=N]: {"deleted":N,"more":bool}.
func (s *Server) emptyBucket(w http.ResponseWriter, r *http.Request) error {
	id, err := queryParam(r, "id")
	if err != nil {
		return err
	}
	limit := maxEmptyBatch
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEmptyBatch {
			return badRequest("limit must be a number from 1 to %d, not %q", maxEmptyBatch, v)
		}
		limit = n
	}
	res, err := s.backend.EmptyBucket(r.Context(), id, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// POST /v2/AllowBucketKey {"bucketId","accessKeyId","permissions"}
func (s *Server) allowBucketKey(w http.ResponseWriter, r *http.Request) error {
	return s.changeBucketKey(w, r, s.backend.AllowBucketKey)
}

// POST /v2/DenyBucketKey {"bucketId","accessKeyId","permissions"}
func (s *Server) denyBucketKey(w http.ResponseWriter, r *http.Request) error {
	return s.changeBucketKey(w, r, s.backend.DenyBucketKey)
}

func (s *Server) changeBucketKey(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, bucketID, keyID string, p Permissions) error) error {
	var req BucketKeyRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.BucketID == "" || req.AccessKeyID == "" {
		return badRequest("bucketId and accessKeyId are required")
	}
	if err := change(r.Context(), req.BucketID, req.AccessKeyID, req.Permissions); err != nil {
		return err
	}
	b, err := s.backend.GetBucket(r.Context(), req.BucketID)
	if err != nil {
		return err
	}
	return writeBucket(w, b)
}

func writeBucket(w http.ResponseWriter, b BucketInfo) error {
	b.normalize()
	writeJSON(w, http.StatusOK, b)
	return nil
}

// searchBucket resolves text to a bucket id: an exact global alias, or
// unless aliasOnly, an exact id or a unique id prefix.
func (s *Server) searchBucket(ctx context.Context, text string, aliasOnly bool) (string, error) {
	buckets, err := s.backend.ListBuckets(ctx)
	if err != nil {
		return "", err
	}
	var byPrefix []string
	for _, b := range buckets {
		if slices.Contains(b.GlobalAliases, text) || (!aliasOnly && b.ID == text) {
			return b.ID, nil
		}
		if !aliasOnly && strings.HasPrefix(b.ID, text) {
			byPrefix = append(byPrefix, b.ID)
		}
	}
	switch len(byPrefix) {
	case 0:
		return "", newError(ErrNoSuchBucket, "bucket %q not found", text)
	case 1:
		return byPrefix[0], nil
	}
	return "", badRequest("%q matches several bucket ids; give more characters", text)
}

func firstAlias(b BucketSummary) string {
	if len(b.GlobalAliases) == 0 {
		return ""
	}
	return b.GlobalAliases[0]
}
