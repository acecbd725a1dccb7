package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// Object tags given when an object is written (x-amz-tagging on PutObject,
// CreateMultipartUpload and CopyObject, with x-amz-tagging-directive) are
// stored with it and returned by GetObjectTagging, their count in
// x-amz-tagging-count. Changing the tags of an existing object
// (PutObjectTagging, DeleteObjectTagging) is not implemented yet: it is
// refused, never silently ignored.

// taggingHeader is where an object's tags are kept among its stored
// headers: canonical URL-query form, sorted by key. Lower case, so it
// never collides with a header a client can store.
const taggingHeader = "x-garage-tagging"

// S3's limits on object tags.
const (
	maxObjectTags  = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// parseTagging parses an x-amz-tagging value (URL-encoded query
// parameters) into its canonical stored form ("" for no tags).
func parseTagging(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return "", s3err.WithMessage(s3err.ErrInvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	if len(q) > maxObjectTags {
		return "", s3err.WithMessage(s3err.ErrInvalidTag, "Object tags cannot be greater than %d.", maxObjectTags)
	}
	for k, vs := range q {
		switch {
		case len(vs) > 1:
			return "", s3err.WithMessage(s3err.ErrInvalidTag, "Cannot provide multiple Tags with the same key: %q.", k)
		case k == "" || utf8.RuneCountInString(k) > maxTagKeyLen || !utf8.ValidString(k):
			return "", s3err.WithMessage(s3err.ErrInvalidTag, "The TagKey you have provided is invalid: 1 to %d characters.", maxTagKeyLen)
		case utf8.RuneCountInString(vs[0]) > maxTagValueLen || !utf8.ValidString(vs[0]):
			return "", s3err.WithMessage(s3err.ErrInvalidTag, "The TagValue you have provided is invalid: at most %d characters.", maxTagValueLen)
		}
	}
	return q.Encode(), nil // Encode sorts by key
}

// setTagging stores the tags of h's x-amz-tagging in headers.
func setTagging(headers map[string]string, h http.Header) error {
	delete(headers, taggingHeader)
	tags, err := parseTagging(h.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	if tags != "" {
		headers[taggingHeader] = tags
	}
	return nil
}

// copyTagging applies x-amz-tagging-directive to a copy's headers: COPY
// (the default) keeps the source's tags, REPLACE takes the request's.
func copyTagging(headers map[string]string, src model.ObjectVersion, h http.Header) error {
	switch strings.ToUpper(h.Get("X-Amz-Tagging-Directive")) {
	case "", "COPY":
		delete(headers, taggingHeader)
		if src.Meta != nil && src.Meta.Headers[taggingHeader] != "" {
			headers[taggingHeader] = src.Meta.Headers[taggingHeader]
		}
		return nil
	case "REPLACE":
		return setTagging(headers, h)
	}
	return s3err.WithMessage(s3err.ErrInvalidArgument, "Unknown tagging directive.")
}

// tagCount is the number of tags of stored tags.
func tagCount(stored string) int {
	q, _ := url.ParseQuery(stored)
	return len(q)
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

func (s *Server) getObjectTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	v, err := s.model.HeadObject(r.Context(), req.bucket.ID, req.key)
	if err != nil {
		return err
	}
	res := tagging{Xmlns: s3NS, TagSet: []tag{}}
	q, _ := url.ParseQuery(v.Meta.Headers[taggingHeader])
	for k, vs := range q {
		res.TagSet = append(res.TagSet, tag{Key: k, Value: vs[0]})
	}
	sort.Slice(res.TagSet, func(i, j int) bool { return res.TagSet[i].Key < res.TagSet[j].Key })
	return writeXML(w, http.StatusOK, res)
}

// setTagCountHeader sets x-amz-tagging-count from stored tags.
func setTagCountHeader(h http.Header, stored string) {
	if n := tagCount(stored); n > 0 {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(n))
	}
}
