package s3

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, req *request) error {
	v, err := s.model.HeadObject(r.Context(), req.bucket.ID, req.key)
	if req.grant != grantKey { // let through by an ACL or policy (access.go)
		if err := s.checkObjectAccess(r.Context(), req, v, err); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	h := w.Header()
	httpobject.SetObjectHeaders(h, v, "binary/octet-stream")
	setTagCountHeader(h, storedTags(v))
	q := r.URL.Query()
	for param, header := range responseOverrides {
		if val := q.Get(param); val != "" {
			h.Set(header, val)
		}
	}
	if r.Header.Get("X-Amz-Checksum-Mode") == "ENABLED" {
		for alg, sum := range v.Meta.Checksums {
			h.Set(checksum.Header(alg), sum)
		}
		if v.Meta.ChecksumType != "" {
			h.Set("X-Amz-Checksum-Type", v.Meta.ChecksumType)
		}
	}
	out, rng := httpobject.Plan(r, v.Meta.ETag, msTime(v.TS), v.Meta.Size)
	if pn := q.Get("partNumber"); pn != "" && (out == httpobject.Full || out == httpobject.Partial) {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > model.MaxParts {
			return s3err.WithMessage(s3err.ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
		}
		rng, err = partRange(v, n)
		if err != nil {
			return err
		}
		out = httpobject.Partial
		if len(v.Data.Parts) > 1 || v.Multipart {
			h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(len(v.Data.Parts)))
		}
	}
	switch out {
	case httpobject.NotModified:
		for _, name := range []string{"Content-Type", "Content-Length"} {
			h.Del(name)
		}
		w.WriteHeader(http.StatusNotModified)
		return nil
	case httpobject.PreconditionFailed:
		return s3err.ErrPreconditionFailed
	case httpobject.Unsatisfiable:
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(v.Meta.Size, 10))
		return s3err.ErrInvalidRange
	}
	_, sent, err := httpobject.Write(w, r, s.model, v, out, rng)
	if err != nil && !sent && errors.Is(err, model.ErrCorrupt) {
		return s3err.WithMessage(s3err.ErrInternalError, "The object's data failed its integrity check; it was not served.")
	}
	if err != nil && sent && r.Context().Err() == nil {
		s.log.Error("object read failed mid-response", "request_id", req.id, "bucket", req.bucketName, "key", req.key, "err", err)
		panic(http.ErrAbortHandler)
	}
	if err != nil && !sent {
		return err
	}
	return nil
}

// partRange returns the byte range of part n of v.
func partRange(v model.ObjectVersion, n int) (httpobject.Range, error) {
	if !v.Multipart || v.Data == nil || v.Data.Inline != nil {
		if n == 1 {
			return httpobject.Range{Start: 0, Length: v.Meta.Size}, nil
		}
		return httpobject.Range{}, partPastEnd(n, 1)
	}
	var off int64
	for _, p := range v.Data.Parts {
		if p.Number == n {
			return httpobject.Range{Start: off, Length: p.Size}, nil
		}
		off += p.Size
	}
	return httpobject.Range{}, partPastEnd(n, len(v.Data.Parts))
}

// partPastEnd is S3's answer to a partNumber the object does not have:
// 416 InvalidPartNumber.
func partPastEnd(n, parts int) error {
	return s3err.WithMessage(s3err.ErrInvalidPartNumber, "The requested partnumber %d is not satisfiable: the object has %d part(s).", n, parts)
}
