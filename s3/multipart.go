package s3

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// maxPartSize is the largest part, as in S3 (5 GiB).
const maxPartSize = 5 << 30

func (s *Server) createMultipartUpload(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkKey(req.key); err != nil {
		return err
	}
	headers, err := objectHeaders(r.Header)
	if err != nil {
		return err
	}
	alg := ""
	if a := r.Header.Get("X-Amz-Checksum-Algorithm"); a != "" {
		var ok bool
		if alg, ok = checksum.Parse(a); !ok {
			return s3err.WithMessage(s3err.ErrInvalidRequest, "Checksum algorithm %q is not supported.", a)
		}
	}
	typ, err := uploadChecksumType(alg, r.Header.Get("X-Amz-Checksum-Type"))
	if err != nil {
		return err
	}
	id, err := s.model.CreateUploadChecksum(r.Context(), req.bucket.ID, req.key, headers, alg, typ)
	if err != nil {
		return err
	}
	if alg != "" {
		w.Header().Set("X-Amz-Checksum-Algorithm", alg)
		w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	return writeXML(w, http.StatusOK, initiateMultipartUploadResult{Xmlns: s3NS, Bucket: req.bucketName, Key: req.key, UploadID: id})
}

// uploadChecksumType is the checksum type of a new upload, as S3 allows
// it: FULL_OBJECT for the CRCs (CRC64NVME has no other, and it is its
// default), COMPOSITE for CRC32, CRC32C (their default), SHA1 and SHA256.
func uploadChecksumType(alg, typ string) (string, error) {
	typ = strings.ToUpper(strings.TrimSpace(typ))
	switch {
	case typ != "" && typ != model.ChecksumComposite && typ != model.ChecksumFullObject:
		return "", s3err.WithMessage(s3err.ErrInvalidRequest, "Checksum type %q is not valid: use COMPOSITE or FULL_OBJECT.", typ)
	case typ != "" && alg == "":
		return "", s3err.WithMessage(s3err.ErrInvalidRequest, "x-amz-checksum-type needs x-amz-checksum-algorithm.")
	case alg == "":
		return "", nil
	case typ == "" && alg == checksum.CRC64NVME:
		return model.ChecksumFullObject, nil
	case typ == "":
		return model.ChecksumComposite, nil
	case typ == model.ChecksumFullObject && !checksum.FullObjectAlgorithm(alg):
		return "", s3err.WithMessage(s3err.ErrInvalidRequest, "The FULL_OBJECT checksum type is not supported for %s: use CRC32, CRC32C or CRC64NVME, or COMPOSITE.", alg)
	case typ == model.ChecksumComposite && alg == checksum.CRC64NVME:
		return "", s3err.WithMessage(s3err.ErrInvalidRequest, "The COMPOSITE checksum type is not supported for CRC64NVME: use FULL_OBJECT.")
	}
	return typ, nil
}

// wholeChecksums are the x-amz-checksum-<alg> headers of a
// CompleteMultipartUpload: what the whole upload must match.
func wholeChecksums(h http.Header) map[string]string {
	var out map[string]string
	for _, alg := range checksum.Algorithms() {
		if v := strings.TrimSpace(h.Get(checksum.Header(alg))); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[alg] = v
		}
	}
	return out
}

func partNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > model.MaxParts {
		return 0, s3err.WithMessage(s3err.ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

func (s *Server) uploadPart(w http.ResponseWriter, r *http.Request, req *request) error {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	size := req.auth.ContentLength
	if size < 0 {
		return s3err.ErrMissingContentLength
	}
	if size > maxPartSize {
		return s3err.ErrEntityTooLarge
	}
	body, digest, err := verifiedBody(req.auth.Body, r.Header, req.auth.Trailer)
	if err != nil {
		return err
	}
	ref, err := s.model.PutPart(r.Context(), model.PutPartInput{
		BucketID: req.bucket.ID, Key: req.key, UploadID: r.URL.Query().Get("uploadId"),
		Number: n, Body: body, Size: size, Digest: digest, BodySHA256: req.auth.PayloadSHA256,
	})
	if err != nil {
		return err
	}
	s.metrics.bytesIn.Add(float64(ref.Size))
	w.Header().Set("ETag", `"`+ref.ETag+`"`)
	setChecksumHeaders(w.Header(), ref.Checksums)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) uploadPartCopy(w http.ResponseWriter, r *http.Request, req *request) error {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	uploadID := r.URL.Query().Get("uploadId")
	if _, err := s.model.GetUpload(r.Context(), req.bucket.ID, req.key, uploadID); err != nil {
		return err
	}
	_, _, src, err := s.copySource(r.Context(), r, req)
	if err != nil {
		return err
	}
	rng := httpobject.Range{Start: 0, Length: src.Meta.Size}
	if cr := r.Header.Get("X-Amz-Copy-Source-Range"); cr != "" {
		if rng, err = parseCopyRange(cr, src.Meta.Size); err != nil {
			return err
		}
	}
	if rng.Length > maxPartSize {
		return s3err.ErrEntityTooLarge
	}
	data, err := s.model.Open(r.Context(), src, rng.Start, rng.Length)
	if err != nil {
		return err
	}
	defer data.Close()
	body, digest, err := verifiedBody(data, http.Header{}, nil)
	if err != nil {
		return err
	}
	ref, err := s.model.PutPart(r.Context(), model.PutPartInput{
		BucketID: req.bucket.ID, Key: req.key, UploadID: uploadID, Number: n, Body: body, Size: rng.Length, Digest: digest,
	})
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, copyPartResult{Xmlns: s3NS, LastModified: iso8601(msTime(src.TS)), ETag: `"` + ref.ETag + `"`})
}

// parseCopyRange parses x-amz-copy-source-range: bytes=first-last, both
// required and inside the object.
func parseCopyRange(v string, size int64) (httpobject.Range, error) {
	malformed := s3err.WithMessage(s3err.ErrInvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return httpobject.Range{}, malformed
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return httpobject.Range{}, malformed
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return httpobject.Range{}, malformed
	}
	if last >= size {
		return httpobject.Range{}, s3err.WithMessage(s3err.ErrInvalidArgument, "Range specified is not valid for source object of size: %d", size)
	}
	return httpobject.Range{Start: first, Length: last - first + 1}, nil
}

func (s *Server) completeMultipartUpload(w http.ResponseWriter, r *http.Request, req *request) error {
	var doc completeMultipartUpload
	if err := readXML(req.auth.Body, 4<<20, &doc); err != nil {
		return err
	}
	if len(doc.Parts) == 0 {
		return s3err.WithMessage(s3err.ErrMalformedXML, "You must specify at least one part.")
	}
	if len(doc.Parts) > model.MaxParts {
		return s3err.WithMessage(s3err.ErrInvalidArgument, "A multipart upload has at most %d parts.", model.MaxParts)
	}
	list := make([]model.CompletedPart, len(doc.Parts))
	for i, p := range doc.Parts {
		list[i] = model.CompletedPart{Number: p.PartNumber, ETag: p.ETag}
	}
	cond := httpobject.WriteConditions(r.Header)
	cond.Checksums = wholeChecksums(r.Header)
	v, err := s.model.CompleteUpload(r.Context(), req.bucket.ID, req.key, r.URL.Query().Get("uploadId"), list, cond)
	if err != nil {
		return err
	}
	res := completeMultipartUploadResult{Xmlns: s3NS, Location: "/" + req.bucketName + "/" + req.key, Bucket: req.bucketName, Key: req.key,
		ETag: `"` + v.Meta.ETag + `"`, ChecksumType: v.Meta.ChecksumType}
	res.set(v.Meta.Checksums)
	return writeXML(w, http.StatusOK, res)
}

func (s *Server) abortMultipartUpload(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.model.AbortUpload(r.Context(), req.bucket.ID, req.key, r.URL.Query().Get("uploadId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listParts(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	uploadID := q.Get("uploadId")
	up, err := s.model.GetUpload(r.Context(), req.bucket.ID, req.key, uploadID)
	if err != nil {
		return err
	}
	maxParts, err := parseMax(q, "max-parts", 1000)
	if err != nil {
		return err
	}
	marker := 0
	if m := q.Get("part-number-marker"); m != "" {
		if marker, err = strconv.Atoi(m); err != nil || marker < 0 {
			return s3err.WithMessage(s3err.ErrInvalidArgument, "Provided part-number-marker not an integer or within integer range")
		}
	}
	parts, truncated, err := s.model.ListParts(r.Context(), uploadID, marker, maxParts)
	if err != nil {
		return err
	}
	o := s.keyOwner(req)
	res := listPartsResult{Xmlns: s3NS, Bucket: req.bucketName, Key: req.key, UploadID: uploadID, PartNumberMarker: marker,
		MaxParts: maxParts, IsTruncated: truncated, StorageClass: "STANDARD", Initiator: o, Owner: o}
	for alg := range up.Meta.Checksums {
		res.ChecksumAlgorithm = alg
	}
	for _, p := range parts {
		it := partItem{PartNumber: p.Number, ETag: `"` + p.ETag + `"`, Size: p.Size, LastModified: iso8601(msTime(up.TS))}
		it.set(p.Checksums)
		res.Parts = append(res.Parts, it)
		res.NextPartNumberMarker = p.Number
	}
	return writeXML(w, http.StatusOK, res)
}
