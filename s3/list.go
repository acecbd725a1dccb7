package s3

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// maxListKeys is the most keys a listing returns, as in S3.
const maxListKeys = 1000

// listEncoder applies encoding-type=url to listed keys.
type listEncoder bool

func (e listEncoder) enc(s string) string {
	if !e {
		return s
	}
	// S3 percent-encodes (a space is %20, never "+", which clients would
	// decode as a plus) and keeps "/" readable.
	return strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), "%2F", "/")
}

func parseEncoding(q url.Values) (listEncoder, error) {
	switch q.Get("encoding-type") {
	case "":
		return false, nil
	case "url":
		return true, nil
	}
	return false, s3err.ErrInvalidEncodingMethod
}

// continuationPrefix starts every continuation token this server issues,
// so a foreign or corrupted token is refused instead of listing from an
// arbitrary place.
const continuationPrefix = "gw1\x00"

func encodeContinuationToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(continuationPrefix + after))
}

func decodeContinuationToken(tok string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	after, ok := strings.CutPrefix(string(raw), continuationPrefix)
	if err != nil || !ok {
		return "", s3err.WithMessage(s3err.ErrInvalidArgument, "The continuation token provided is incorrect")
	}
	return after, nil
}

func parseMax(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, s3err.WithMessage(s3err.ErrInvalidArgument, "Provided %s not an integer or within integer range", name)
	}
	return min(n, def), nil
}

func (s *Server) objectItem(key string, v model.ObjectVersion, e listEncoder, withOwner bool, req *request) objectItem {
	it := objectItem{Key: e.enc(key), LastModified: iso8601(msTime(v.TS)), ETag: `"` + v.Meta.ETag + `"`, Size: v.Meta.Size, StorageClass: storageClassOf(v)}
	for alg := range v.Meta.Checksums {
		it.ChecksumAlgorithm = alg
		it.ChecksumType = v.Meta.ChecksumType
	}
	if withOwner {
		o := s.keyOwner(req)
		it.Owner = &o
	}
	return it
}

func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	enc, err := parseEncoding(q)
	if err != nil {
		return err
	}
	maxKeys, err := parseMax(q, "max-keys", maxListKeys)
	if err != nil {
		return err
	}
	in := model.ListInput{BucketID: req.bucket.ID, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: maxKeys, Summary: true}
	v2 := req.op == OpListObjectsV2
	// ListObjects (v1) returns its Prefix as sent even with
	// encoding-type=url; ListObjectsV2 encodes it (clients decode it).
	prefix := in.Prefix
	if v2 {
		prefix = enc.enc(prefix)
	}
	res := listBucketResult{Xmlns: s3NS, Name: req.bucketName, Prefix: prefix, MaxKeys: maxKeys, Delimiter: enc.enc(in.Delimiter)}
	if enc {
		res.EncodingType = "url"
	}
	if v2 {
		res.StartAfter = enc.enc(q.Get("start-after"))
		in.StartAfter = q.Get("start-after")
		if _, given := q["continuation-token"]; given {
			tok := q.Get("continuation-token")
			res.ContToken = &tok // echoed as given, even empty
		}
		if tok := q.Get("continuation-token"); tok != "" {
			after, err := decodeContinuationToken(tok)
			if err != nil {
				return err
			}
			in.StartAfter = max(in.StartAfter, after)
		}
	} else {
		marker := q.Get("marker")
		res.Marker = &marker
		in.StartAfter = marker
	}
	out, err := s.model.ListObjects(r.Context(), in)
	if err != nil {
		return err
	}
	fetchOwner := !v2 || q.Get("fetch-owner") == "true"
	res.Contents = make([]objectItem, 0, len(out.Objects))
	for _, o := range out.Objects {
		res.Contents = append(res.Contents, s.objectItem(o.Key, o.Version, enc, fetchOwner, req))
	}
	for _, p := range out.Prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc.enc(p)})
	}
	res.IsTruncated = out.IsTruncated
	if out.IsTruncated {
		if v2 {
			res.NextContToken = encodeContinuationToken(out.NextMarker)
		} else if in.Delimiter != "" {
			res.NextMarker = enc.enc(out.NextMarker)
		}
	}
	if v2 {
		n := len(res.Contents) + len(res.CommonPrefixes)
		res.KeyCount = &n
	}
	return writeListXML(w, &res)
}

func (s *Server) listMultipartUploads(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	enc, err := parseEncoding(q)
	if err != nil {
		return err
	}
	maxUploads, err := parseMax(q, "max-uploads", maxListKeys)
	if err != nil {
		return err
	}
	in := model.ListUploadsInput{BucketID: req.bucket.ID, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: maxUploads}
	out, err := s.model.ListUploads(r.Context(), in)
	if err != nil {
		return err
	}
	res := listMultipartUploadsResult{Xmlns: s3NS, Bucket: req.bucketName, KeyMarker: enc.enc(in.KeyMarker), UploadIDMarker: in.UploadIDMarker,
		Prefix: enc.enc(in.Prefix), Delimiter: enc.enc(in.Delimiter), MaxUploads: maxUploads, IsTruncated: out.IsTruncated}
	if enc {
		res.EncodingType = "url"
	}
	if out.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = enc.enc(out.NextKeyMarker), out.NextUploadIDMarker
	}
	o := s.keyOwner(req)
	for _, u := range out.Uploads {
		res.Uploads = append(res.Uploads, uploadItem{Key: enc.enc(u.Key), UploadID: u.Version.UUID, Initiated: iso8601(msTime(u.Version.TS)),
			StorageClass: "STANDARD", Initiator: o, Owner: o})
	}
	for _, p := range out.Prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc.enc(p)})
	}
	return writeXML(w, http.StatusOK, res)
}
