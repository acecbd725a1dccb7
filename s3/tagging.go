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

// Object and bucket tags.
//
// Object tags given when an object is written (x-amz-tagging on PutObject,
// CreateMultipartUpload and CopyObject, with x-amz-tagging-directive) are
// stored among its headers. PutObjectTagging and DeleteObjectTagging tag
// the version that exists (model.SetObjectTags: a last-writer-wins
// register of that version, so a racing newer PUT is never undone); from
// then on those tags are the object's (storedTags). Bucket tags are a
// register of the bucket (PutBucketTagging, GetBucketTagging answering
// NoSuchTagSet when there are none, DeleteBucketTagging).
//
// Tags are validated as AWS does: at most 10 per object and 50 per bucket,
// keys of 1 to 128 and values of at most 256 UTF-16 code units, no key
// twice, no "aws:" prefix, only letters, numbers, spaces and + - = . _ :
// / @ (tagCharsOK) (InvalidTag); a body that is not a Tagging
// document is MalformedXML, a wrong Content-MD5 BadDigest. Tag sets are
// stored in canonical URL-query form, sorted by key.

// taggingHeader is where an object's tags are kept among its stored
// headers: canonical URL-query form, sorted by key. Lower case, so it
// never collides with a header a client can store.
const taggingHeader = "x-garage-tagging"

// S3's limits on tags.
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128 // UTF-16 code units
	maxTagValueLen = 256 // UTF-16 code units
	maxTaggingBody = 64 << 10
)

// utf16Len is the length of s in UTF-16 code units, as AWS counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// checkTag validates one tag's key and value.
func checkTag(k, v string) error {
	switch {
	case k == "" || utf16Len(k) > maxTagKeyLen || !utf8.ValidString(k):
		return s3err.WithMessage(s3err.ErrInvalidTag, "The TagKey you have provided is invalid: 1 to %d characters.", maxTagKeyLen)
	case utf16Len(v) > maxTagValueLen || !utf8.ValidString(v):
		return s3err.WithMessage(s3err.ErrInvalidTag, "The TagValue you have provided is invalid: at most %d characters.", maxTagValueLen)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return s3err.WithMessage(s3err.ErrInvalidTag, "Your TagKey cannot be prefixed with aws: (%q).", k)
	case !tagCharsOK(k):
		return s3err.WithMessage(s3err.ErrInvalidTag, "The TagKey you have provided is invalid: %q has a character other than letters, numbers, spaces and + - = . _ : / @.", k)
	case !tagCharsOK(v):
		return s3err.WithMessage(s3err.ErrInvalidTag, "The TagValue you have provided is invalid: %q has a character other than letters, numbers, spaces and + - = . _ : / @.", v)
	}
	return nil
}

// encodeTags validates a tag set of at most max tags and returns its
// canonical stored form ("" for none).
func encodeTags(tags []tag, max int, what string) (string, error) {
	if len(tags) > max {
		return "", s3err.WithMessage(s3err.ErrInvalidTag, "%s tags cannot be greater than %d.", what, max)
	}
	q := url.Values{}
	for _, t := range tags {
		if err := checkTag(t.Key, t.Value); err != nil {
			return "", err
		}
		if q.Has(t.Key) {
			return "", s3err.WithMessage(s3err.ErrInvalidTag, "Cannot provide multiple Tags with the same key: %q.", t.Key)
		}
		q.Set(t.Key, t.Value)
	}
	return q.Encode(), nil // Encode sorts by key
}

// decodeTags returns a stored tag set, sorted by key.
func decodeTags(stored string) []tag {
	q, _ := url.ParseQuery(stored)
	out := make([]tag, 0, len(q))
	for k, vs := range q {
		out = append(out, tag{Key: k, Value: vs[0]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

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
	tags := make([]tag, 0, len(q))
	for k, vs := range q {
		if len(vs) > 1 {
			return "", s3err.WithMessage(s3err.ErrInvalidTag, "Cannot provide multiple Tags with the same key: %q.", k)
		}
		tags = append(tags, tag{Key: k, Value: vs[0]})
	}
	return encodeTags(tags, maxObjectTags, "Object")
}

// storedTags returns the tags of an object version: those set by
// PutObjectTagging or DeleteObjectTagging once there was one, else those
// it was written with.
func storedTags(v model.ObjectVersion) string {
	if tags, changed := v.TagsChanged(); changed {
		return tags
	}
	if v.Meta == nil {
		return ""
	}
	return v.Meta.Headers[taggingHeader]
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
		if tags := storedTags(src); tags != "" {
			headers[taggingHeader] = tags
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

// setTagCountHeader sets x-amz-tagging-count from stored tags.
func setTagCountHeader(h http.Header, stored string) {
	if n := tagCount(stored); n > 0 {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(n))
	}
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// tagging is the Tagging document answered by GetObjectTagging and
// GetBucketTagging.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

// taggingRequest is a PutObjectTagging / PutBucketTagging body. Pointers
// tell a missing element (MalformedXML) from an empty one.
type taggingRequest struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  *struct {
		Tags []struct {
			Key   *string `xml:"Key"`
			Value *string `xml:"Value"`
		} `xml:"Tag"`
	} `xml:"TagSet"`
}

// readTagging reads and validates a Tagging body (Content-MD5 checked) of
// at most max tags and returns its stored form.
func (s *Server) readTagging(r *http.Request, req *request, max int, what string) (string, error) {
	verified, _, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return "", err
	}
	var doc taggingRequest
	if err := readXML(verified, maxTaggingBody, &doc); err != nil {
		return "", err
	}
	if doc.TagSet == nil {
		return "", s3err.WithMessage(s3err.ErrMalformedXML, "The Tagging document has no TagSet.")
	}
	tags := make([]tag, 0, len(doc.TagSet.Tags))
	for _, t := range doc.TagSet.Tags {
		if t.Key == nil || t.Value == nil {
			return "", s3err.WithMessage(s3err.ErrMalformedXML, "Every Tag needs a Key and a Value.")
		}
		tags = append(tags, tag{Key: *t.Key, Value: *t.Value})
	}
	return encodeTags(tags, max, what)
}

func (s *Server) getObjectTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	v, err := s.model.HeadObject(r.Context(), req.bucket.ID, req.key)
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, tagging{Xmlns: s3NS, TagSet: decodeTags(storedTags(v))})
}

func (s *Server) putObjectTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	tags, err := s.readTagging(r, req, maxObjectTags, "Object")
	if err != nil {
		return err
	}
	if _, err := s.model.SetObjectTags(r.Context(), req.bucket.ID, req.key, tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteObjectTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.model.SetObjectTags(r.Context(), req.bucket.ID, req.key, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getBucketTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	// Read at quorum, not from the bucket cache: a client reads its own
	// PutBucketTagging.
	b, err := s.model.GetBucket(r.Context(), req.bucket.ID)
	if err != nil {
		return err
	}
	if b.Tags.Value == "" {
		return s3err.ErrNoSuchTagSet
	}
	return writeXML(w, http.StatusOK, tagging{Xmlns: s3NS, TagSet: decodeTags(b.Tags.Value)})
}

func (s *Server) putBucketTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	tags, err := s.readTagging(r, req, maxBucketTags, "Bucket")
	if err != nil {
		return err
	}
	if err := s.model.SetBucketTags(r.Context(), req.bucket.ID, tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteBucketTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.model.SetBucketTags(r.Context(), req.bucket.ID, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
