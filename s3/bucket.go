package s3

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garage-web/garage-web/bucketconfig"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// maxConfigBody bounds configuration request bodies (website, CORS, ...).
const maxConfigBody = 256 << 10

func msTime(ts uint64) time.Time { return time.UnixMilli(int64(ts)) }

func (s *Server) keyOwner(req *request) owner {
	if req.accessKey == nil { // an unsigned request (listing a public bucket)
		return owner{}
	}
	return owner{ID: req.accessKey.ID, DisplayName: req.accessKey.Name.Value}
}

func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request, req *request) error {
	res := listAllMyBucketsResult{Xmlns: s3NS, Owner: s.keyOwner(req)}
	// The key's grants, not the cached key: a bucket just created through
	// another node must be listed.
	k, err := s.model.GetKeyFresh(r.Context(), req.accessKey.ID)
	if err != nil {
		return err
	}
	for _, id := range k.Buckets.Keys() {
		if !k.Buckets[id].Value.Any() {
			continue
		}
		b, err := s.model.GetBucket(r.Context(), id)
		if errors.Is(err, model.ErrNoSuchBucket) {
			continue
		}
		if err != nil {
			return err
		}
		for _, name := range b.GlobalAliases() {
			if _, _, deploy := model.ParsePreviewName(name); deploy { // a site's deploy (docs/hosting.md)
				continue
			}
			res.Buckets = append(res.Buckets, bucketItem{Name: name, CreationDate: iso8601(msTime(b.Created))})
		}
	}
	sort.Slice(res.Buckets, func(i, j int) bool { return res.Buckets[i].Name < res.Buckets[j].Name })
	if err := pageBuckets(&res, r.URL.Query()); err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, res)
}

// maxBucketsLimit is the largest max-buckets S3 accepts.
const maxBucketsLimit = 10000

// pageBuckets applies ListBuckets' prefix, continuation-token and
// max-buckets to the sorted list in res. Without max-buckets every
// bucket is listed, as S3 does.
func pageBuckets(res *listAllMyBucketsResult, q url.Values) error {
	if _, ok := q["prefix"]; ok {
		p := q.Get("prefix")
		res.Prefix = &p
		kept := res.Buckets[:0]
		for _, b := range res.Buckets {
			if strings.HasPrefix(b.Name, p) {
				kept = append(kept, b)
			}
		}
		res.Buckets = kept
	}
	if tok := q.Get("continuation-token"); tok != "" {
		after, err := decodeContinuationToken(tok)
		if err != nil {
			return err
		}
		i := sort.Search(len(res.Buckets), func(i int) bool { return res.Buckets[i].Name > after })
		res.Buckets = res.Buckets[i:]
	}
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBucketsLimit {
			return s3err.WithMessage(s3err.ErrInvalidArgument, "max-buckets must be an integer between 1 and %d.", maxBucketsLimit)
		}
		if len(res.Buckets) > n {
			res.Buckets = res.Buckets[:n]
			res.ContToken = encodeContinuationToken(res.Buckets[n-1].Name)
		}
	}
	return nil
}

func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, req *request) error {
	verified, _, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(verified, maxConfigBody))
	if err != nil {
		return err
	}
	if len(body) > 0 {
		var cfg createBucketConfiguration
		if err := readXML(bytes.NewReader(body), maxConfigBody, &cfg); err != nil {
			return err
		}
		if cfg.LocationConstraint != "" && cfg.LocationConstraint != s.cfg.Region {
			return s3err.WithMessage(s3err.ErrInvalidArgument, "The location constraint %q does not match this server's region %q.", cfg.LocationConstraint, s.cfg.Region)
		}
	}
	if !model.ValidBucketName(req.bucketName) {
		return s3err.ErrInvalidBucketName
	}
	if existing, err := s.model.ResolveBucket(r.Context(), req.bucketName); err == nil {
		if req.accessKey.Permissions(existing.ID).Owner {
			return s3err.ErrBucketAlreadyOwnedByYou
		}
		return s3err.ErrBucketAlreadyExists
	}
	if !req.accessKey.AllowCreateBucket.Value {
		return s3err.WithMessage(s3err.ErrAccessDenied, "This key is not allowed to create buckets.")
	}
	acl, err := checkCreateBucketACL(r.Header) // acl.go
	if err != nil {
		return err
	}
	b, err := s.model.CreateBucket(r.Context(), req.bucketName, req.accessKey.ID)
	if err != nil {
		return err
	}
	if acl != nil && !acl.IsPrivate() {
		if err := s.model.SetBucketACL(r.Context(), b.ID, *acl); err != nil {
			return err
		}
	}
	w.Header().Set("Location", "/"+req.bucketName)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket deletes a bucket without objects. As in S3, multipart
// uploads in progress do not keep it: they are aborted first (and only
// once the bucket is known to hold no object, so a refusal aborts none).
func (s *Server) deleteBucket(w http.ResponseWriter, r *http.Request, req *request) error {
	objs, err := s.model.ListObjects(r.Context(), model.ListInput{BucketID: req.bucket.ID, MaxKeys: 1})
	if err != nil {
		return err
	}
	if len(objs.Objects) > 0 {
		return s3err.ErrBucketNotEmpty
	}
	if err := s.model.AbortAllUploads(r.Context(), req.bucket.ID); err != nil {
		return err
	}
	if err := s.model.DeleteBucket(r.Context(), req.bucket.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// configError maps a configuration parser's error to S3's: malformed
// documents are MalformedXML, invalid values the code S3 uses for that
// document (InvalidArgument for websites, InvalidRequest for CORS).
func configError(err error, invalid *s3err.Error) error {
	switch {
	case errors.Is(err, bucketconfig.ErrMalformed):
		return s3err.WithMessage(s3err.ErrMalformedXML, "%v", err)
	case errors.Is(err, bucketconfig.ErrInvalid):
		return s3err.WithMessage(invalid, "%s", strings.TrimPrefix(err.Error(), bucketconfig.ErrInvalid.Error()+": "))
	}
	return err
}

func (s *Server) putBucketWebsite(w http.ResponseWriter, r *http.Request, req *request) error {
	body, err := s.readConfigBody(r, req)
	if err != nil {
		return err
	}
	site, err := bucketconfig.ParseWebsite(body)
	if err != nil {
		return configError(err, s3err.ErrInvalidArgument)
	}
	cfg := &model.WebsiteConfig{XML: string(body), Uploads: bucketconfig.UploadsEnabled(body)}
	if site.IndexDocument != nil {
		cfg.IndexDocument = site.IndexDocument.Suffix
	}
	if site.ErrorDocument != nil {
		cfg.ErrorDocument = site.ErrorDocument.Key
	}
	if err := s.model.SetWebsite(r.Context(), req.bucket.ID, cfg); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getBucketWebsite(w http.ResponseWriter, r *http.Request, req *request) error {
	cfg := req.bucket.Website.Value
	if cfg == nil {
		return s3err.ErrNoSuchWebsiteConfiguration
	}
	site, err := bucketconfig.WebsiteFromSettings(cfg.XML, cfg.IndexDocument, cfg.ErrorDocument)
	if err != nil {
		return err
	}
	site.Xmlns = s3NS
	return writeXML(w, http.StatusOK, site)
}

func (s *Server) deleteBucketWebsite(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.model.SetWebsite(r.Context(), req.bucket.ID, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) putBucketCors(w http.ResponseWriter, r *http.Request, req *request) error {
	body, err := s.readConfigBody(r, req)
	if err != nil {
		return err
	}
	if _, err := bucketconfig.ParseCORS(body); err != nil {
		return configError(err, s3err.ErrInvalidRequest)
	}
	if err := s.model.SetCORS(r.Context(), req.bucket.ID, string(body)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getBucketCors(w http.ResponseWriter, r *http.Request, req *request) error {
	if req.bucket.CORS.Value == "" {
		return s3err.ErrNoSuchCORSConfiguration
	}
	c, err := bucketconfig.ParseCORS([]byte(req.bucket.CORS.Value))
	if err != nil {
		return err
	}
	c.Xmlns = s3NS
	return writeXML(w, http.StatusOK, c)
}

func (s *Server) deleteBucketCors(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.model.SetCORS(r.Context(), req.bucket.ID, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readConfigBody reads a bucket configuration document: at most
// maxConfigBody bytes, its Content-MD5 or x-amz-checksum-* verified
// (BadDigest), one XML document with nothing after it (MalformedXML).
func (s *Server) readConfigBody(r *http.Request, req *request) ([]byte, error) {
	verified, _, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return nil, err
	}
	body, err := readBody(verified, maxConfigBody)
	if err != nil {
		return nil, err
	}
	if err := singleDocument(body); err != nil {
		return nil, err
	}
	return body, nil
}

// readBody reads a whole small body, refusing more than max bytes.
func readBody(body io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, s3err.WithMessage(s3err.ErrInvalidRequest, "The request body is larger than %d bytes.", max)
	}
	return data, nil
}
