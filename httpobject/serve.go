package httpobject

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/garage-web/garage-web/model"
)

// Opener opens a byte range of an object version; *model.Model is one.
type Opener interface {
	Open(ctx context.Context, v model.ObjectVersion, off, length int64) (io.ReadCloser, error)
}

// Outcome is what a GET or HEAD of an object answers.
type Outcome int

// Outcomes of Plan.
const (
	Full               Outcome = iota // 200 with the whole object
	Partial                           // 206 with Range
	NotModified                       // 304
	PreconditionFailed                // 412
	Unsatisfiable                     // 416
)

// Plan evaluates the conditional and Range headers of r for an object
// with the given ETag (unquoted), modification time and size, in the order
// RFC 9110 gives (which S3 follows).
func Plan(r *http.Request, etag string, modified time.Time, size int64) (Outcome, Range) {
	h := r.Header
	modified = modified.Truncate(time.Second)
	if im := h.Get("If-Match"); im != "" {
		if !MatchETag(im, etag) {
			return PreconditionFailed, Range{}
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && modified.After(t) {
			return PreconditionFailed, Range{}
		}
	}
	if inm := h.Get("If-None-Match"); inm != "" {
		if MatchETag(inm, etag) {
			return NotModified, Range{}
		}
	} else if ims := h.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !modified.After(t) {
			return NotModified, Range{}
		}
	}
	rng, ok, err := ParseRange(h.Get("Range"), size)
	if errors.Is(err, ErrUnsatisfiable) {
		return Unsatisfiable, Range{}
	}
	if ok {
		return Partial, rng
	}
	return Full, Range{Start: 0, Length: size}
}

// SetValidators sets ETag and Last-Modified.
func SetValidators(h http.Header, etag string, modified time.Time) {
	h.Set("ETag", `"`+etag+`"`)
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
}

// Write answers a Full or Partial outcome: status, Content-Length,
// Content-Range and, except for HEAD, the bytes. The caller has set the
// other headers. The first bytes are read before the status is written,
// so a missing or corrupted first block still gets a proper error answer
// (returned with headerSent=false). Later failures can only cut the body
// short: the caller should then abort the connection.
func Write(w http.ResponseWriter, r *http.Request, src Opener, v model.ObjectVersion, out Outcome, rng Range) (n int64, headerSent bool, err error) {
	size := v.Meta.Size
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(rng.Length, 10))
	status := http.StatusOK
	if out == Partial {
		h.Set("Content-Range", rng.ContentRange(size))
		status = http.StatusPartialContent
	}
	if r.Method == http.MethodHead || rng.Length == 0 {
		w.WriteHeader(status)
		return 0, true, nil
	}
	body, err := src.Open(r.Context(), v, rng.Start, rng.Length)
	if err != nil {
		return 0, false, err
	}
	defer body.Close()
	// Read the first bytes before answering, so that a missing or corrupt
	// first block is still a clean error.
	var first [1]byte
	k, err := io.ReadFull(body, first[:])
	if err != nil {
		return 0, false, err
	}
	w.WriteHeader(status)
	wk, werr := w.Write(first[:k])
	n = int64(wk)
	if werr != nil {
		return n, true, werr
	}
	// The model's reader writes its verified blocks straight from their
	// buffers (io.WriterTo).
	rest, err := io.Copy(w, body)
	return n + rest, true, err
}
