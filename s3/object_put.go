package s3

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// maxPutSize is the largest single PUT, as in S3 (5 GiB).
const maxPutSize = 5 << 30

// maxKeyLength is the longest object key, as in S3.
const maxKeyLength = 1024

func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return s3err.ErrKeyTooLong
	}
	return nil
}

// verifiedBody wraps the request body in the checksum verifier and
// returns it with the digest function the model calls at the end.
func verifiedBody(body io.Reader, h http.Header, trailer func() http.Header) (*checksum.Reader, model.Digest, error) {
	cr, err := checksum.New(body, h, trailer)
	if err != nil {
		return nil, nil, err
	}
	return cr, func() (string, map[string]string) { return hex.EncodeToString(cr.MD5()), cr.Checksums() }, nil
}

func setChecksumHeaders(h http.Header, sums map[string]string) {
	for alg, v := range sums {
		if v != "" {
			h.Set(checksum.Header(alg), v)
		}
	}
}

func (s *Server) putObject(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkKey(req.key); err != nil {
		return err
	}
	size := req.auth.ContentLength
	if size < 0 {
		return s3err.ErrMissingContentLength
	}
	if size > maxPutSize {
		return s3err.ErrEntityTooLarge
	}
	headers, err := objectHeaders(r.Header)
	if err != nil {
		return err
	}
	body, digest, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return err
	}
	v, err := s.model.PutObject(r.Context(), model.PutObjectInput{
		BucketID: req.bucket.ID, Key: req.key, Headers: headers, Body: body, Size: size, Digest: digest,
		BodySHA256: req.auth.PayloadSHA256, If: httpobject.WriteConditions(r.Header),
	})
	if err != nil {
		return err
	}
	s.metrics.bytesIn.Add(float64(v.Meta.Size))
	w.Header().Set("ETag", `"`+v.Meta.ETag+`"`)
	setChecksumHeaders(w.Header(), v.Meta.Checksums)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.model.DeleteObject(r.Context(), req.bucket.ID, req.key); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxDeleteObjects is the most keys one DeleteObjects request may name.
const maxDeleteObjects = 1000

func (s *Server) deleteObjects(w http.ResponseWriter, r *http.Request, req *request) error {
	body, _, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return err
	}
	var del deleteRequest
	if err := readXML(body, 2<<20, &del); err != nil {
		return err
	}
	if len(del.Objects) == 0 || len(del.Objects) > maxDeleteObjects {
		return s3err.WithMessage(s3err.ErrMalformedXML, "A DeleteObjects request names 1 to 1000 keys.")
	}
	res := deleteResult{Xmlns: s3NS}
	for _, o := range del.Objects {
		if o.VersionID != "" && o.VersionID != nullVersion {
			res.Errors = append(res.Errors, deleteErrorItem{Key: o.Key, VersionID: o.VersionID, Code: "NoSuchVersion",
				Message: "The specified version does not exist: buckets are not versioned, the only version id is \"null\"."})
			continue
		}
		if err := s.model.DeleteObject(r.Context(), req.bucket.ID, o.Key); err != nil {
			e, _ := toS3Error(err)
			s.log.Warn("delete in DeleteObjects failed", "request_id", req.id, "key", o.Key, "err", err)
			res.Errors = append(res.Errors, deleteErrorItem{Key: o.Key, Code: e.Code, Message: e.Message})
			continue
		}
		if !del.Quiet {
			res.Deleted = append(res.Deleted, deletedItem{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return writeXML(w, http.StatusOK, res)
}

// copySource resolves x-amz-copy-source, checks the key may read it and
// its copy-source conditions, and returns the source version.
func (s *Server) copySource(ctx context.Context, r *http.Request, req *request) (model.Bucket, string, model.ObjectVersion, error) {
	raw := r.Header.Get("X-Amz-Copy-Source")
	src, err := url.PathUnescape(raw)
	if err != nil {
		return model.Bucket{}, "", model.ObjectVersion{}, s3err.WithMessage(s3err.ErrInvalidArgument, "Invalid copy source encoding.")
	}
	src, versionID, _ := strings.Cut(src, "?versionId=")
	src = strings.TrimPrefix(src, "/")
	bucketName, key, ok := strings.Cut(src, "/")
	if !ok || bucketName == "" || key == "" {
		return model.Bucket{}, "", model.ObjectVersion{}, s3err.WithMessage(s3err.ErrInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	b, err := s.model.ResolveBucket(ctx, bucketName)
	if err != nil {
		return model.Bucket{}, "", model.ObjectVersion{}, err
	}
	if p := req.accessKey.Permissions(b.ID); !p.Read && !p.Owner {
		return model.Bucket{}, "", model.ObjectVersion{}, s3err.ErrAccessDenied
	}
	v, err := s.model.HeadObject(ctx, b.ID, key)
	if err != nil {
		return model.Bucket{}, "", model.ObjectVersion{}, err
	}
	if versionID != "" && versionID != "null" && versionID != v.UUID {
		return model.Bucket{}, "", model.ObjectVersion{}, s3err.WithMessage(s3err.ErrNoSuchKey, "The specified version does not exist.")
	}
	// Copy-source conditions read like GET's, from x-amz-copy-source-if-*.
	cond := &http.Request{Header: http.Header{}}
	for _, name := range []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if val := r.Header.Get("X-Amz-Copy-Source-" + name); val != "" {
			cond.Header.Set(name, val)
		}
	}
	if out, _ := httpobject.Plan(cond, v.Meta.ETag, msTime(v.TS), v.Meta.Size); out == httpobject.PreconditionFailed || out == httpobject.NotModified {
		return model.Bucket{}, "", model.ObjectVersion{}, s3err.ErrPreconditionFailed
	}
	return b, key, v, nil
}

func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkKey(req.key); err != nil {
		return err
	}
	srcBucket, srcKey, src, err := s.copySource(r.Context(), r, req)
	if err != nil {
		return err
	}
	var headers map[string]string
	switch strings.ToUpper(r.Header.Get("X-Amz-Metadata-Directive")) {
	case "", "COPY":
		if headers, err = copiedHeaders(src.Meta.Headers, r.Header); err != nil {
			return err
		}
		if srcBucket.ID == req.bucket.ID && srcKey == req.key && storageClassOf(src) == storageClassOf(model.ObjectVersion{Meta: &model.ObjectMeta{Headers: headers}}) {
			return s3err.WithMessage(s3err.ErrInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
	case "REPLACE":
		if headers, err = objectHeaders(r.Header); err != nil {
			return err
		}
	default:
		return s3err.WithMessage(s3err.ErrInvalidArgument, "Unknown metadata directive.")
	}
	if err := copyTagging(headers, src, r.Header); err != nil {
		return err
	}
	if err := setObjectACLHeader(headers, r.Header); err != nil { // a copy's ACL is the request's, as in S3
		return err
	}
	data, err := s.model.Open(r.Context(), src, 0, src.Meta.Size)
	if err != nil {
		return err
	}
	defer data.Close()
	alg := r.Header.Get("X-Amz-Checksum-Algorithm")
	if alg == "" {
		for a := range src.Meta.Checksums {
			alg = a
		}
	}
	h := http.Header{}
	if alg != "" {
		h.Set("X-Amz-Checksum-Algorithm", alg)
	}
	body, digest, err := verifiedBody(data, h, nil)
	if err != nil {
		return err
	}
	v, err := s.model.PutObject(r.Context(), model.PutObjectInput{
		BucketID: req.bucket.ID, Key: req.key, Headers: headers, Body: body, Size: src.Meta.Size, Digest: digest,
		If: httpobject.WriteConditions(r.Header),
	})
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, copyObjectResult{Xmlns: s3NS, LastModified: iso8601(msTime(v.TS)), ETag: `"` + v.Meta.ETag + `"`})
}
