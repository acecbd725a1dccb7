package s3

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/internal/httplimit"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/s3/sigv4"
	"github.com/garage-web/garage-web/table"
)

// Config configures the S3 front end.
type Config struct {
	// Region is the region clients sign for ("garage" by default).
	Region string
	// RootDomain enables virtual-hosted-style addressing: a Host of
	// "<bucket><RootDomain>" names the bucket. Empty disables it.
	RootDomain string
	// DisableSigV2 refuses requests signed with Signature Version 2
	// (s3_api.sigv2 = false); they are accepted by default (auth_sigv2.go).
	DisableSigV2 bool
}

// Server answers the S3 API.
type Server struct {
	cfg      Config
	model    *model.Model
	verifier *sigv4.Verifier
	log      *slog.Logger
	metrics  *metrics
}

// New returns an S3 server over m. Its metrics are registered with reg.
func New(cfg Config, m *model.Model, reg prometheus.Registerer, log *slog.Logger) (*Server, error) {
	if cfg.Region == "" {
		cfg.Region = "garage"
	}
	if cfg.RootDomain != "" && !strings.HasPrefix(cfg.RootDomain, ".") {
		cfg.RootDomain = "." + cfg.RootDomain
	}
	s := &Server{cfg: cfg, model: m, log: log}
	s.verifier = &sigv4.Verifier{Region: cfg.Region, Lookup: s.lookupSecret}
	var err error
	if s.metrics, err = newMetrics(reg); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) lookupSecret(ctx context.Context, id string) (string, error) {
	k, err := s.model.GetKey(ctx, id)
	if errors.Is(err, model.ErrNoSuchAccessKey) {
		return "", s3err.ErrInvalidAccessKeyID
	}
	if err != nil {
		return "", err
	}
	return k.Secret, nil
}

// Handler returns the HTTP handler of the S3 API.
func (s *Server) Handler() http.Handler {
	// Every path goes to serve, which routes by itself (route): no router
	// in between (it cost a context and a request copy per request).
	return s.recoverer(http.HandlerFunc(s.serve))
}

// request is one S3 request being served.
type request struct {
	id         string
	op         Operation
	bucketName string
	key        string
	start      time.Time

	// set by authenticate / authorize
	accessKey *model.Key // nil for an unsigned request
	auth      *sigv4.Result
	bucket    model.Bucket
	grant     grant // what let the request through (access.go)
}

// newRequestID returns 16 upper-case hex digits. Request ids name a
// request in logs and answers; they are not secrets, so they come from
// the fast per-thread generator of math/rand/v2, with one allocation.
func newRequestID() string {
	const digits = "0123456789ABCDEF"
	var out [16]byte
	n := rand.Uint64()
	for i := range out {
		out[i] = digits[n>>60]
		n <<= 4
	}
	return string(out[:])
}

// bucketAndKey splits a request into bucket name and object key, for
// path-style and virtual-hosted-style addressing.
func bucketAndKey(host, path, rootDomain string) (bucket, key string) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	path = strings.TrimPrefix(path, "/")
	if rootDomain != "" && strings.HasSuffix(host, rootDomain) && len(host) > len(rootDomain) {
		return host[:len(host)-len(rootDomain)], path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := &request{id: newRequestID(), start: time.Now()}
	req.bucketName, req.key = bucketAndKey(r.Host, r.URL.Path, s.cfg.RootDomain)
	req.op = route(r.Method, req.bucketName, req.key, r.URL.Query(), r.Header)
	// Canonical names set directly: no canonicalisation, one allocation.
	vals := []string{req.id, "garage-web"}
	w.Header()["X-Amz-Request-Id"] = vals[0:1:1]
	w.Header()["Server"] = vals[1:2:2]
	cw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
	err := s.handle(cw, r, req)
	if err != nil {
		s.writeError(cw, r, req, err)
	}
	d := time.Since(req.start)
	s.metrics.observe(req.op, cw.status, d, cw.n)
	s.log.Debug("S3 request", "request_id", req.id, "op", req.op, "bucket", req.bucketName, "key", req.key,
		"status", cw.status, "bytes_out", cw.n, "duration", d)
}

// handle authenticates, authorizes and dispatches a request.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, req *request) error {
	if isSiteExtension(r) { // site_ext.go
		return s.siteExtension(w, r, req)
	}
	switch req.op {
	case OpInvalid:
		return s3err.WithMessage(s3err.ErrMethodNotAllowed, "%s is not allowed on this resource.", r.Method)
	case OpPreflight:
		return s.preflight(w, r, req)
	case OpPostObject:
		return s.postObject(w, r, req)
	}
	// The bucket is looked up while the signature is checked: on a cache
	// miss in a cluster, the access key and the bucket are each a quorum
	// read, and they do not depend on each other.
	bucket := s.resolveBucketAsync(r.Context(), req)
	if err := s.authenticate(r, req); err != nil {
		return err
	}
	defer req.auth.Body.Close()
	if err := s.authorize(r.Context(), req, bucket); err != nil {
		return err
	}
	if req.bucket.ID != "" {
		s.setCORSHeaders(w, r, req.bucket)
	}
	if err := rejectEncryption(r.Header); err != nil {
		return err
	}
	if err := rejectProtection(r.Header); err != nil {
		return err
	}
	if req.key != "" {
		if err := checkVersionID(r); err != nil {
			return err
		}
	}
	return s.dispatch(w, r, req)
}

// dispatch calls the handler of req.op.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, req *request) error {
	switch req.op {
	case OpListBuckets:
		return s.listBuckets(w, r, req)
	case OpCreateBucket:
		return s.createBucket(w, r, req)
	case OpHeadBucket:
		return nil
	case OpDeleteBucket:
		return s.deleteBucket(w, r, req)
	case OpGetBucketLocation:
		return writeXML(w, http.StatusOK, locationConstraint{Xmlns: s3NS, Value: s.cfg.Region})
	case OpGetBucketVersioning:
		return writeXML(w, http.StatusOK, versioningConfiguration{Xmlns: s3NS})
	case OpGetBucketAcl:
		return s.getBucketACL(w, req)
	case OpGetObjectAcl:
		return s.getObjectACL(w, r, req)
	case OpPutBucketAcl:
		return s.putBucketACL(w, r, req)
	case OpPutObjectAcl:
		return s.putObjectACL(w, r, req)
	case OpGetBucketPolicy:
		return s.getBucketPolicy(w, req)
	case OpPutBucketPolicy:
		return s.putBucketPolicy(w, r, req)
	case OpDeleteBucketPolicy:
		return s.deleteBucketPolicy(w, r, req)
	case OpGetBucketPolicyStatus:
		return s.getBucketPolicyStatus(w, req)
	case OpGetObjectTagging:
		return s.getObjectTagging(w, r, req)
	case OpPutObjectTagging:
		return s.putObjectTagging(w, r, req)
	case OpDeleteObjectTagging:
		return s.deleteObjectTagging(w, r, req)
	case OpGetBucketTagging:
		return s.getBucketTagging(w, r, req)
	case OpPutBucketTagging:
		return s.putBucketTagging(w, r, req)
	case OpDeleteBucketTagging:
		return s.deleteBucketTagging(w, r, req)
	case OpGetObjectAttributes:
		return s.getObjectAttributes(w, r, req)
	case OpPutBucketWebsite:
		return s.putBucketWebsite(w, r, req)
	case OpGetBucketWebsite:
		return s.getBucketWebsite(w, r, req)
	case OpDeleteBucketWebsite:
		return s.deleteBucketWebsite(w, r, req)
	case OpPutBucketCors:
		return s.putBucketCors(w, r, req)
	case OpGetBucketCors:
		return s.getBucketCors(w, r, req)
	case OpDeleteBucketCors:
		return s.deleteBucketCors(w, r, req)
	case OpListObjects, OpListObjectsV2:
		return s.listObjects(w, r, req)
	case OpListObjectVersions:
		return s.listObjectVersions(w, r, req)
	case OpListMultipartUploads:
		return s.listMultipartUploads(w, r, req)
	case OpDeleteObjects:
		return s.deleteObjects(w, r, req)
	case OpGetObject, OpHeadObject:
		return s.getObject(w, r, req)
	case OpPutObject:
		return s.putObject(w, r, req)
	case OpCopyObject:
		return s.copyObject(w, r, req)
	case OpDeleteObject:
		return s.deleteObject(w, r, req)
	case OpCreateMultipartUpload:
		return s.createMultipartUpload(w, r, req)
	case OpUploadPart:
		return s.uploadPart(w, r, req)
	case OpUploadPartCopy:
		return s.uploadPartCopy(w, r, req)
	case OpCompleteMultipartUpload:
		return s.completeMultipartUpload(w, r, req)
	case OpAbortMultipartUpload:
		return s.abortMultipartUpload(w, r, req)
	case OpListParts:
		return s.listParts(w, r, req)
	}
	return s3err.WithMessage(s3err.ErrNotImplemented, "This operation is not implemented by garage-web.")
}

// authenticate verifies the request signature.
func (s *Server) authenticate(r *http.Request, req *request) error {
	res, err := s.verify(r)
	if err != nil {
		return err
	}
	req.auth = res
	if res.AccessKeyID == "" {
		if anonymousOps[req.op] { // authorize checks the bucket's ACL and policy (access.go)
			return nil
		}
		res.Body.Close()
		return s3err.WithMessage(s3err.ErrAccessDenied, "Anonymous access is not allowed: sign the request with an access key.")
	}
	// The signature check read the key a moment ago: this is a hit of
	// the key cache (cheaper than carrying it in a request context).
	k, err := s.model.GetKey(r.Context(), res.AccessKeyID)
	if err != nil {
		res.Body.Close()
		if errors.Is(err, model.ErrNoSuchAccessKey) {
			return s3err.ErrInvalidAccessKeyID
		}
		return err
	}
	req.accessKey = &k
	return nil
}

// bucketLookup is the result of resolveBucketAsync.
type bucketLookup struct {
	bucket model.Bucket
	err    error
}

// resolveBucketAsync starts resolving the request's bucket, when its
// operation needs one, and returns where the result will be (nil when it
// needs none). The channel is buffered: nobody has to read it.
func (s *Server) resolveBucketAsync(ctx context.Context, req *request) <-chan bucketLookup {
	if req.op == OpCreateBucket || req.op.access() == accessNone {
		return nil
	}
	ch := make(chan bucketLookup, 1)
	if b, ok := s.model.CachedBucket(req.bucketName); ok {
		ch <- bucketLookup{bucket: b} // a hot bucket: no goroutine
		return ch
	}
	go func() {
		b, err := s.model.ResolveBucket(ctx, req.bucketName)
		ch <- bucketLookup{b, err}
	}()
	return ch
}

// authorize checks the key's right on the bucket that lookup resolves
// (nil: the operation needs no bucket), or what the bucket's ACL and
// policy grant (access.go; all an unsigned request can have). Key and
// bucket come from caches that may be up to a second behind a change made
// through another node:
// when they refuse (no such bucket, no right), both are read again at
// quorum before the refusal is answered, so a bucket created or a grant
// given anywhere works at once. A removal is seen within that second.
func (s *Server) authorize(ctx context.Context, req *request, lookup <-chan bucketLookup) error {
	if lookup == nil {
		return nil
	}
	res := <-lookup
	if res.err == nil {
		if g := s.decide(req.accessKey, res.bucket, req.bucketName, req.op, req.key); g != grantNone {
			req.bucket, req.grant = res.bucket, g
			return nil
		}
	}
	if res.err != nil && !errors.Is(res.err, model.ErrNoSuchBucket) {
		return res.err
	}
	b, err := s.model.ResolveBucketFresh(ctx, req.bucketName)
	if err != nil {
		return err
	}
	if req.accessKey != nil {
		k, err := s.model.GetKeyFresh(ctx, req.accessKey.ID)
		if err != nil {
			if errors.Is(err, model.ErrNoSuchAccessKey) {
				return s3err.ErrInvalidAccessKeyID
			}
			return err
		}
		req.accessKey = &k
	}
	g := s.decide(req.accessKey, b, req.bucketName, req.op, req.key)
	if g == grantNone {
		return s3err.ErrAccessDenied
	}
	req.bucket, req.grant = b, g
	return nil
}

// allowed reports whether key k has the access need on bucket b.
func (s *Server) allowed(k *model.Key, b model.Bucket, need access) bool {
	p := k.Permissions(b.ID)
	switch need {
	case accessRead:
		return p.Read || p.Owner
	case accessWrite:
		return p.Write
	case accessOwner:
		return p.Owner
	}
	return false
}

// toS3Error maps model and storage errors to S3 errors.
func toS3Error(err error) (*s3err.Error, bool) {
	if e, ok := s3err.From(err); ok {
		return e, true
	}
	var ce *checksum.Error
	if errors.As(err, &ce) {
		return checksumError(ce), true
	}
	switch {
	case errors.Is(err, model.ErrNoSuchBucket):
		return s3err.ErrNoSuchBucket, true
	case errors.Is(err, model.ErrNoSuchObject):
		return s3err.ErrNoSuchKey, true
	case errors.Is(err, model.ErrNoSuchUpload):
		return s3err.ErrNoSuchUpload, true
	case errors.Is(err, model.ErrBucketNotEmpty):
		return s3err.ErrBucketNotEmpty, true
	case errors.Is(err, model.ErrBucketOwnedByYou):
		return s3err.ErrBucketAlreadyOwnedByYou, true
	case errors.Is(err, model.ErrBucketExists):
		return s3err.ErrBucketAlreadyExists, true
	case errors.Is(err, model.ErrInvalidBucketName):
		return s3err.ErrInvalidBucketName, true
	case errors.Is(err, model.ErrPrecondition):
		return s3err.ErrPreconditionFailed, true
	case errors.Is(err, model.ErrInvalidPart):
		return s3err.ErrInvalidPart, true
	case errors.Is(err, model.ErrBadDigest):
		return s3err.ErrBadDigest, true
	case errors.Is(err, model.ErrInvalidPartOrder):
		return s3err.ErrInvalidPartOrder, true
	case errors.Is(err, model.ErrEntityTooSmall):
		return s3err.ErrEntityTooSmall, true
	case errors.Is(err, httplimit.ErrBodyReadTimeout):
		return s3err.ErrRequestTimeout, true
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// Before quorum failures: a write that found every disk full is
		// one, and the reason is what the client and operator need.
		return s3err.ErrInsufficientStorage, true
	case errors.Is(err, table.ErrQuorum) && !errors.Is(err, model.ErrIncompleteBody):
		// Before the io.ErrUnexpectedEOF case: a quorum failure joins
		// the replicas' errors, and a replica killed mid-RPC ends its
		// stream with an unexpected EOF that is not the client's.
		return s3err.ErrServiceUnavailable, true
	case errors.Is(err, model.ErrIncompleteBody), errors.Is(err, io.ErrUnexpectedEOF):
		return s3err.ErrIncompleteBody, true
	case errors.Is(err, model.ErrNoSuchAccessKey):
		return s3err.ErrInvalidAccessKeyID, true
	}
	return s3err.ErrInternalError, false
}

// clientGone reports whether err comes from the client going away in the
// middle of its request (its connection closed, its body cut short): the
// client's failure, answered IncompleteBody (which it will not read) and
// logged at info, not as a server error.
func clientGone(r *http.Request, err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) && (!errors.Is(err, table.ErrQuorum) || errors.Is(err, model.ErrIncompleteBody)) {
		// An unexpected EOF inside a quorum failure is a replica's
		// stream cut short (the replica died mid-RPC), not the client's
		// body.
		return true
	}
	return r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, r.Context().Err()) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE))
}

// writeError writes err as an S3 error document and logs internal errors.
func (s *Server) writeError(w *countingWriter, r *http.Request, req *request, err error) {
	e, known := toS3Error(err)
	if clientGone(r, err) {
		e, known = s3err.ErrIncompleteBody, true
		s.log.Info("S3 client went away mid-request", "request_id", req.id, "op", req.op, "bucket", req.bucketName, "key", req.key, "err", err)
	} else if !known || e.Status >= 500 {
		s.log.Error("S3 request failed", "request_id", req.id, "op", req.op, "bucket", req.bucketName, "key", req.key, "err", err)
	} else {
		s.log.Debug("S3 request refused", "request_id", req.id, "op", req.op, "code", e.Code, "err", err)
	}
	if known && e != s3err.ErrInternalError {
		// Keep the detailed message of wrapped S3 errors.
		var inner *s3err.Error
		if errors.As(err, &inner) {
			e = inner
		}
	}
	s.metrics.errors.WithLabelValues(string(req.op), e.Code).Inc()
	if w.wroteHeader {
		// Headers are gone: all we can do is cut the body short.
		panic(http.ErrAbortHandler)
	}
	// An error answer carries none of the headers a handler may have set
	// for the object it was about to send (Content-Length, ETag, ...).
	for name := range w.Header() {
		keep := name == "X-Amz-Request-Id" || name == "Server" || strings.HasPrefix(name, "Access-Control-") || name == "Vary" ||
			name == "Content-Range" && e.Code == "InvalidRange"
		if !keep {
			w.Header().Del(name)
		}
	}
	if e.Code == "NoSuchBucket" || e.Code == "NoSuchKey" || e.Code == "NoSuchUpload" {
		w.Header().Del("Access-Control-Allow-Origin")
	}
	s3err.Write(w, r, e, req.id)
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving S3 request", "panic", v, "method", r.Method, "path", r.URL.Path)
				s3err.Write(w, r, s3err.ErrInternalError, "panic")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// writeXML writes v as an XML document.
func writeXML(w http.ResponseWriter, status int, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, err = w.Write(body)
	return err
}

// readXML decodes a small XML request body into v (MalformedXML on error).
func readXML(body io.Reader, max int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > max {
		return s3err.WithMessage(s3err.ErrMalformedXML, "The XML body is larger than %d bytes.", max)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return s3err.WithMessage(s3err.ErrMalformedXML, "The XML you provided was not well-formed: %v", err)
	}
	return singleDocument(data)
}

// singleDocument refuses anything but comments, processing instructions
// and white space after the root element of an XML body: a second root
// element, or text, would otherwise be ignored (and a DeleteObjects with
// junk after it would still delete).
func singleDocument(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, seenRoot := 0, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !seenRoot {
				return s3err.WithMessage(s3err.ErrMalformedXML, "The XML you provided has no root element.")
			}
			return nil
		}
		if err != nil {
			return s3err.WithMessage(s3err.ErrMalformedXML, "The XML you provided was not well-formed: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && seenRoot {
				return s3err.WithMessage(s3err.ErrMalformedXML, "The XML you provided has more than one root element (<%s> after the first).", t.Name.Local)
			}
			depth++
			seenRoot = true
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return s3err.WithMessage(s3err.ErrMalformedXML, "The XML you provided has text outside its root element.")
			}
		}
	}
}

// countingWriter records the status and body size of a response.
type countingWriter struct {
	http.ResponseWriter
	status      int
	n           int64
	wroteHeader bool
}

func (c *countingWriter) WriteHeader(status int) {
	if !c.wroteHeader {
		c.status, c.wroteHeader = status, true
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.wroteHeader = true
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// Flush passes flushes through.
func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
