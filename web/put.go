package web

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/model"
)

// MaxPutSize is the largest HTTP PUT upload, as a single S3 PUT (5 GiB).
const MaxPutSize = 5 << 30

// putHeaders are the request headers of a PUT stored with the object.
var putHeaders = []string{"Content-Type", "Cache-Control", "Content-Encoding", "Content-Disposition", "Content-Language", "Expires"}

// put stores the request body as an object: the upload path of HTTP
// binary caches such as `nix copy --to http://…`. The caller checked that
// the site enables uploads. The client authenticates with HTTP Basic auth:
// user = access key id, password = its secret key; the key must be
// allowed to write to the bucket. Send credentials over HTTPS only.
func (s *Server) put(w http.ResponseWriter, r *http.Request, st *site) error {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return unauthorized(w, st, "Unauthorized: HTTP Basic credentials (access key id and secret key) required")
	}
	client := clientKey(r.RemoteAddr)
	if wait, refused := s.authFails.refused(client); refused {
		return tooManyFailures(w, wait)
	}
	k, err := s.store.GetKey(r.Context(), id)
	if errors.Is(err, model.ErrNoSuchAccessKey) || (err == nil && subtle.ConstantTimeCompare([]byte(k.Secret), []byte(secret)) != 1) {
		s.logAuthFailure(st, id, client)
		return unauthorized(w, st, "Unauthorized: wrong access key id or secret key")
	}
	if err != nil {
		return err
	}
	if !k.Permissions(st.bucket.ID).Write {
		return httpError(http.StatusForbidden, "Forbidden: this key may not write to the bucket")
	}
	key, err := requestKey(r)
	if err != nil {
		return err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return httpError(http.StatusBadRequest, "Bad Request: cannot upload to a folder path")
	}
	if r.ContentLength > MaxPutSize {
		return httpError(http.StatusRequestEntityTooLarge, "Content Too Large: at most 5 GiB per upload")
	}
	headers := map[string]string{}
	for _, name := range putHeaders {
		if v := r.Header.Get(name); v != "" {
			headers[name] = v
		}
	}
	// Verify Content-MD5 when sent; the MD5 is the ETag either way.
	only := http.Header{}
	if v := r.Header.Values("Content-Md5"); len(v) > 0 {
		only["Content-Md5"] = v
	}
	body, err := checksum.New(http.MaxBytesReader(w, r.Body, MaxPutSize), only, nil)
	if err != nil {
		return httpError(http.StatusBadRequest, "Bad Request: invalid Content-MD5")
	}
	v, err := s.store.PutObject(r.Context(), model.PutObjectInput{
		BucketID: st.bucket.ID, Key: key, Headers: headers, Body: body, Size: r.ContentLength,
		Digest: func() (string, map[string]string) { return hex.EncodeToString(body.MD5()), nil },
		If:     httpobject.WriteConditions(r.Header),
	})
	var maxErr *http.MaxBytesError
	var ce *checksum.Error
	switch {
	case errors.Is(err, model.ErrPrecondition):
		return httpError(http.StatusPreconditionFailed, "Precondition Failed")
	case errors.Is(err, model.ErrIncompleteBody):
		return httpError(http.StatusBadRequest, "Bad Request: body shorter or longer than Content-Length")
	case errors.As(err, &maxErr):
		return httpError(http.StatusRequestEntityTooLarge, "Content Too Large: at most 5 GiB per upload")
	case errors.As(err, &ce):
		return httpError(http.StatusBadRequest, "Bad Request: "+ce.Message)
	case err != nil:
		return err
	}
	w.Header().Set("ETag", `"`+v.Meta.ETag+`"`)
	w.WriteHeader(http.StatusOK)
	return nil
}

// logAuthFailure records wrong credentials from client and writes the
// aggregated WARN line when one is due (never the secret).
func (s *Server) logAuthFailure(st *site, id, client string) {
	l, due := s.authFails.failed(client)
	if !due {
		return
	}
	args := []any{"site", st.name, "access_key", clipString(id, 64), "client", client, "failures", l.failures}
	if l.refused > 0 {
		args = append(args, "refused", l.refused)
	}
	if l.wait > 0 {
		args = append(args, "throttled_for", l.wait.String())
	}
	s.log.Warn("web uploads with wrong credentials", args...)
}

// tooManyFailures answers 429 to a client throttled for wait.
func tooManyFailures(w http.ResponseWriter, wait time.Duration) error {
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	return httpError(http.StatusTooManyRequests, "Too Many Requests: too many wrong credentials from your address; retry later")
}

func unauthorized(w http.ResponseWriter, st *site, msg string) error {
	w.Header().Set("WWW-Authenticate", `Basic realm="garage-web `+st.name+`", charset="UTF-8"`)
	return httpError(http.StatusUnauthorized, msg)
}
