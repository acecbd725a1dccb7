package s3

import (
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// Limits on a browser POST form besides the file.
const (
	maxPostFieldSize = 64 << 10
	maxPostFields    = 100
)

type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postObject handles a browser form upload (multipart/form-data with a
// signed policy). The file must be the last field, as in S3.
func (s *Server) postObject(w http.ResponseWriter, r *http.Request, req *request) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return s3err.WithMessage(s3err.ErrMethodNotAllowed, "POST on a bucket needs a multipart/form-data body.")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return s3err.ErrMalformedPOSTRequest
	}
	form := map[string]string{}
	var file io.Reader
	var filename, fileType string
	for file == nil {
		part, err := mr.NextPart()
		if err == io.EOF {
			return s3err.WithMessage(s3err.ErrInvalidArgument, "POST requires exactly one file upload per request.")
		}
		if err != nil {
			return s3err.ErrMalformedPOSTRequest
		}
		name := strings.ToLower(part.FormName())
		if name == "" {
			return s3err.WithMessage(s3err.ErrMalformedPOSTRequest, "A form part has no field name.")
		}
		if name == "file" {
			file, filename = part, part.FileName()
			fileType = part.Header.Get("Content-Type")
			break
		}
		if len(form) >= maxPostFields {
			return s3err.WithMessage(s3err.ErrMalformedPOSTRequest, "Too many form fields.")
		}
		v, err := io.ReadAll(io.LimitReader(part, maxPostFieldSize+1))
		if err != nil {
			return s3err.ErrMalformedPOSTRequest
		}
		if len(v) > maxPostFieldSize {
			return s3err.WithMessage(s3err.ErrMalformedPOSTRequest, "Form field %q is too large.", name)
		}
		form[name] = string(v)
	}
	key := strings.ReplaceAll(form["key"], "${filename}", filename)
	if key == "" {
		return s3err.WithMessage(s3err.ErrInvalidArgument, "Bucket POST must contain a field named 'key'.")
	}
	if err := checkKey(key); err != nil {
		return err
	}
	accessKeyID, policy, covered, err := s.verifyPostPolicy(r.Context(), form) // auth_sigv2.go
	if err != nil {
		return err
	}
	if accessKeyID == "" || policy == nil {
		return s3err.WithMessage(s3err.ErrAccessDenied, "Anonymous POST uploads are not allowed: sign the policy with an access key.")
	}
	k, err := s.model.GetKey(r.Context(), accessKeyID)
	if err != nil {
		return err
	}
	req.accessKey = &k
	b, err := s.model.ResolveBucket(r.Context(), req.bucketName)
	if err != nil {
		return err
	}
	if !k.Permissions(b.ID).Write {
		return s3err.ErrAccessDenied
	}
	req.bucket, req.key = b, key
	checked := map[string]string{"bucket": req.bucketName}
	for n, v := range covered {
		checked[n] = v
	}
	checked["key"] = key
	minSize, maxSize, hasRange := policy.ContentLengthRange()
	if !hasRange {
		minSize, maxSize = 0, maxPutSize
	}
	// Conditions other than the size are checked before reading the file.
	if err := policy.Check(checked, minSize); err != nil {
		return err
	}
	h := http.Header{}
	for n, v := range form {
		h.Set(n, v)
	}
	if acl, ok := form["acl"]; ok { // the form's canned ACL, as x-amz-acl (acl.go)
		h.Set("X-Amz-Acl", acl)
	}
	if h.Get("Content-Type") == "" && fileType != "" {
		h.Set("Content-Type", fileType)
	}
	headers, err := objectHeaders(h)
	if err != nil {
		return err
	}
	body, digest, err := verifiedBody(&sizeBounded{r: &closedForm{part: file, mr: mr}, min: minSize, max: maxSize}, http.Header{}, nil)
	if err != nil {
		return err
	}
	v, err := s.model.PutObject(r.Context(), model.PutObjectInput{BucketID: b.ID, Key: key, Headers: headers, Body: body, Size: -1, Digest: digest})
	if err != nil {
		return err
	}
	etag := `"` + v.Meta.ETag + `"`
	w.Header().Set("ETag", etag)
	location := s.objectURL(r, req.bucketName, key)
	if redirect := form["success_action_redirect"]; redirect != "" {
		if u, err := url.Parse(redirect); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			q := u.Query()
			q.Set("bucket", req.bucketName)
			q.Set("key", key)
			q.Set("etag", etag)
			u.RawQuery = q.Encode()
			w.Header().Set("Location", u.String())
			w.WriteHeader(http.StatusSeeOther)
			return nil
		}
	}
	w.Header().Set("Location", location)
	switch form["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		return writeXML(w, http.StatusCreated, postResponse{Location: location, Bucket: req.bucketName, Key: key, ETag: etag})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// objectURL is the absolute URL of an object, as PostObject's Location
// gives it: on the host the request named (virtual-hosted or path style),
// https when the request came over TLS.
func (s *Server) objectURL(r *http.Request, bucket, key string) string {
	u := url.URL{Scheme: "http", Host: r.Host, Path: "/" + bucket + "/" + key}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	// A host that names a bucket by itself is virtual-hosted style.
	if b, _ := bucketAndKey(r.Host, "/", s.cfg.RootDomain); b == bucket {
		u.Path = "/" + key
	}
	return u.String()
}

// closedForm is the file part of a POST form that ends only where the
// form does: the end of the part must be followed by the form's closing
// boundary (or further parts, which are ignored); a body cut short before
// it is IncompleteBody, so a truncated file is never stored.
type closedForm struct {
	part io.Reader
	mr   interface {
		NextPart() (*multipart.Part, error)
	}
}

func (c *closedForm) Read(p []byte) (int, error) {
	n, err := c.part.Read(p)
	if err == io.EOF {
		if _, nerr := c.mr.NextPart(); nerr != nil && nerr != io.EOF {
			return n, s3err.WithMessage(s3err.ErrIncompleteBody, "The POST form ended before its closing boundary: the file was not stored.")
		}
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		return n, s3err.WithMessage(s3err.ErrIncompleteBody, "The POST form ended inside the file: the file was not stored.")
	}
	return n, err
}

// sizeBounded fails a body outside [min, max] bytes, so that a POST
// upload outside its policy's content-length-range is never stored.
type sizeBounded struct {
	r        io.Reader
	n        int64
	min, max int64
}

func (b *sizeBounded) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return n, s3err.WithMessage(s3err.ErrEntityTooLarge, "Your proposed upload exceeds the maximum allowed size (%d).", b.max)
	}
	if errors.Is(err, io.EOF) && b.n < b.min {
		return n, s3err.WithMessage(s3err.ErrEntityTooSmall, "Your proposed upload is smaller than the minimum allowed size (%d).", b.min)
	}
	return n, err
}
