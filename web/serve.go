package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/bucketconfig"
	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/table"
)

// Store is what the web endpoint needs from the data model.
type Store interface {
	ResolveBucket(ctx context.Context, name string) (model.Bucket, error)
	HeadObject(ctx context.Context, bucketID, key string) (model.ObjectVersion, error)
	Open(ctx context.Context, v model.ObjectVersion, off, length int64) (io.ReadCloser, error)
	PutObject(ctx context.Context, in model.PutObjectInput) (model.ObjectVersion, error)
	GetKey(ctx context.Context, id string) (model.Key, error)
	// GetSite reads a site's record (its deploys), for the fingerprinted
	// assets of earlier deploys (rules.go).
	GetSite(ctx context.Context, name string) (model.Site, error)
	// GetNixCacheKey returns a cache bucket's narinfo signing key, ""
	// when it has none (narinfo.go).
	GetNixCacheKey(ctx context.Context, bucketID string) (string, error)
	// TouchNixNarinfo records a narinfo fetch, for garbage collection.
	TouchNixNarinfo(ctx context.Context, bucketID, key string, now time.Time) error
	// CountPrefix counts the objects under prefix and their bytes (the
	// NARs a Nix cache stores, for its metrics).
	CountPrefix(ctx context.Context, bucketID, prefix string) (objects, bytes int64, err error)
}

var _ Store = (*model.Model)(nil)

// Config configures the web endpoint.
type Config struct {
	// RootDomain: "<bucket><RootDomain>" hosts name bucket <bucket>
	// (".web.localhost" for example). Empty: only whole-host bucket names.
	RootDomain string
	// AccessLog: write one info line per request ("web request").
	AccessLog bool
}

// Server is the web endpoint: an http.Handler. It is safe for concurrent
// use.
type Server struct {
	cfg     Config
	store   Store
	log     *slog.Logger
	metrics *metrics
	// narStats counts the NARs of the Nix caches served (nixstats.go).
	narStats *narStats

	mu         sync.Mutex
	docs       map[string]cachedDoc    // by bucket id: the parsed website document
	rulesCache map[string]cachedRules  // by bucket id: _redirects and _headers (rules.go)
	nixKeys    map[string]cachedNixKey // by bucket id: narinfo signing keys (narinfo.go)
	touched    map[string]time.Time    // bucket id/narinfo key: last fetch recorded (narinfo.go)

	compressor    *compressor    // on-the-fly compression (compress.go)
	compressCache *compressCache // compressed bodies (compress_cache.go)
	authFails     *authThrottle  // failed upload credentials (auththrottle.go)
}

var _ http.Handler = (*Server)(nil)

// cachedDoc is a bucket's website configuration parsed once.
type cachedDoc struct {
	cfg     model.WebsiteConfig
	doc     *bucketconfig.Website
	uploads bool
}

// New returns a web endpoint over store. Its metrics are registered with
// reg.
func New(cfg Config, store Store, reg prometheus.Registerer, log *slog.Logger) (*Server, error) {
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	comp, err := newCompressor()
	if err != nil {
		return nil, err
	}
	nars := newNarStats(store)
	if err := reg.Register(nars); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, store: store, log: log, metrics: m, narStats: nars, docs: map[string]cachedDoc{}, rulesCache: map[string]cachedRules{}, nixKeys: map[string]cachedNixKey{}, touched: map[string]time.Time{},
		compressor: comp, compressCache: newCompressCache(DefaultCompressCacheBytes), authFails: newAuthThrottle(time.Now, authMaxAddresses)}, nil
}

// statusError is an error answered with an HTTP status and a short text.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func httpError(status int, msg string) error { return &statusError{status, msg} }

// errNotFound is the answer for missing pages and for hosts that are not
// websites alike, so that it tells nothing about which buckets exist.
var errNotFound = httpError(http.StatusNotFound, "Not Found")

// ServeHTTP serves one request, then logs and counts it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	label := noSite
	defer func() {
		s.observe(r, rec, label, time.Since(start))
	}()
	st, err := s.site(r.Context(), r.Host)
	if err == nil {
		label = st.name
		err = s.serve(rec, r, st)
	}
	if err != nil {
		s.writeError(rec, r, label, err)
	}
}

// site returns the website the Host header names, or errNotFound.
func (s *Server) site(ctx context.Context, host string) (*site, error) {
	name, ok := SiteName(host, s.cfg.RootDomain)
	if !ok {
		return nil, errNotFound
	}
	b, err := s.store.ResolveBucket(ctx, name)
	if errors.Is(err, model.ErrNoSuchBucket) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("resolve bucket %q: %w", name, err)
	}
	cfg := b.Website.Value
	if cfg == nil {
		return nil, errNotFound
	}
	c, err := s.document(b.ID, *cfg)
	if err != nil {
		return nil, fmt.Errorf("bucket %q: website configuration: %w", name, err)
	}
	// A deploy's preview ("<id>--<site>") is read-only.
	_, _, preview := model.ParsePreviewName(name)
	return &site{name: name, bucket: b, doc: c.doc, uploads: c.uploads && !preview, deploy: isDeployBucket(b)}, nil
}

// HasSite reports whether host names a bucket with website access, that
// is whether the endpoint would serve anything for it. An on-demand TLS
// certificate policy can use it to refuse every other name.
func (s *Server) HasSite(ctx context.Context, host string) (bool, error) {
	_, err := s.site(ctx, host)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil, err
}

// document returns the parsed website configuration, from the cache when
// the bucket's configuration did not change.
func (s *Server) document(bucketID string, cfg model.WebsiteConfig) (cachedDoc, error) {
	s.mu.Lock()
	c, ok := s.docs[bucketID]
	s.mu.Unlock()
	if ok && c.cfg == cfg {
		return c, nil
	}
	doc, err := bucketconfig.WebsiteFromSettings(cfg.XML, cfg.IndexDocument, cfg.ErrorDocument)
	if err != nil {
		return cachedDoc{}, err
	}
	c = cachedDoc{cfg: cfg, doc: doc, uploads: cfg.Uploads}
	s.mu.Lock()
	s.docs[bucketID] = c
	s.mu.Unlock()
	return c, nil
}

// serve dispatches on the method.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, st *site) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return s.get(w, r, st)
	case http.MethodOptions:
		return s.preflight(w, r, st)
	case http.MethodPut:
		if st.uploads {
			return s.put(w, r, st)
		}
	}
	allow := "GET, HEAD, OPTIONS"
	if st.uploads {
		allow += ", PUT"
	}
	w.Header().Set("Allow", allow)
	return httpError(http.StatusMethodNotAllowed, "Method Not Allowed")
}

// requestKey is the object key of the request path.
func requestKey(r *http.Request) (string, error) {
	key, err := KeyFromPath(r.URL.EscapedPath())
	switch {
	case errors.Is(err, ErrKeyTooLong):
		return "", httpError(http.StatusRequestURITooLong, "URI Too Long")
	case err != nil:
		return "", httpError(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	return key, nil
}

// preflight answers a CORS preflight from the bucket's CORS rules.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, st *site) error {
	if r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return httpError(http.StatusBadRequest, "Bad Request: OPTIONS needs Origin and Access-Control-Request-Method")
	}
	if !bucketconfig.Preflight(w.Header(), r, st.bucket.CORS.Value) {
		return httpError(http.StatusForbidden, "Forbidden: CORS request not allowed")
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// get answers GET and HEAD.
func (s *Server) get(w http.ResponseWriter, r *http.Request, st *site) error {
	key, err := requestKey(r)
	if err != nil {
		return err
	}
	st.path = "/" + key
	if st.rules, err = s.rules(r.Context(), st.name, st.bucket.ID); err != nil {
		return err
	}
	rt, err := resolve(r.Context(), s.store, st, r, key)
	if err != nil {
		return err
	}
	switch {
	case rt.status == 0 && rt.code == http.StatusNotFound:
		return s.serveWithStatus(w, r, st, rt.key, rt.v, http.StatusNotFound)
	case rt.status == 0:
		return s.serveObject(w, r, st, rt.key, rt.v)
	case rt.status == http.StatusNotFound:
		return s.notFound(w, r, st)
	}
	w.Header().Set("Location", rt.location)
	w.WriteHeader(rt.status)
	return nil
}

// serveObject sends object v stored under key, or its precompressed
// sibling when the client accepts one.
func (s *Server) serveObject(w http.ResponseWriter, r *http.Request, st *site, key string, v model.ObjectVersion) error {
	s.touchNarinfo(r.Context(), st.bucket.ID, key)
	if done, err := s.serveSignedNarinfo(w, r, st, key, v); done || err != nil {
		return err
	}
	h := w.Header()
	ctype := v.Meta.Headers["Content-Type"]
	if ctype == "" {
		ctype = DefaultContentType(key)
	}
	body, coding := v, ""
	encodable := v.Meta.Headers["Content-Encoding"] == "" && compressible(ctype)
	if encodable {
		h.Add("Vary", "Accept-Encoding")
		for _, e := range acceptedEncodings(r.Header.Get("Accept-Encoding")) {
			if len(key)+len(e.suffix) > MaxKeyLength {
				break
			}
			sib, err := head(r.Context(), s.store, st.bucket.ID, key+e.suffix)
			if err != nil {
				return err
			}
			if sib != nil {
				body, coding = *sib, e.name
				break
			}
		}
	}
	httpobject.SetObjectHeaders(h, body, ctype)
	h.Del(redirectHeader)
	if coding != "" {
		h.Set("Content-Type", ctype)
		h.Set("Content-Encoding", coding)
	}
	s.siteHeaders(h, st, key, ctype)
	bucketconfig.SetCORSHeaders(w.Header(), r, st.bucket.CORS.Value)
	if encodable && coding == "" {
		if done, err := s.serveCompressed(w, r, st, key, v); done || err != nil {
			return err
		}
	}
	out, rng := httpobject.Plan(r, body.Meta.ETag, modTime(body), body.Meta.Size)
	switch out {
	case httpobject.NotModified:
		h.Del("Content-Type")
		h.Del("Content-Length")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return nil
	case httpobject.PreconditionFailed:
		return httpError(http.StatusPreconditionFailed, "Precondition Failed")
	case httpobject.Unsatisfiable:
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(body.Meta.Size, 10))
		return httpError(http.StatusRequestedRangeNotSatisfiable, "Range Not Satisfiable")
	}
	return s.write(w, r, st, key, body, out, rng)
}

// write streams an object; a failure after the status line was sent can
// only cut the connection.
func (s *Server) write(w http.ResponseWriter, r *http.Request, st *site, key string, v model.ObjectVersion, out httpobject.Outcome, rng httpobject.Range) error {
	_, sent, err := httpobject.Write(w, r, s.store, v, out, rng)
	if err == nil {
		return nil
	}
	if !sent {
		return err
	}
	if r.Context().Err() == nil {
		s.log.Error("object read failed mid-response", "site", st.name, "key", key, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil // the client went away
}

// notFound answers 404 with the site's error document when it has one.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, st *site) error {
	if st.doc.ErrorDocument == nil {
		return errNotFound
	}
	key := st.doc.ErrorDocument.Key
	v, err := head(r.Context(), s.store, st.bucket.ID, key)
	if err != nil {
		return err
	}
	if v == nil || v.Meta.Headers[redirectHeader] != "" {
		return errNotFound
	}
	return s.serveWithStatus(w, r, st, key, *v, http.StatusNotFound)
}

// serveWithStatus sends object v, stored under key, whole as the body of
// an answer with status (an error document: no validators).
func (s *Server) serveWithStatus(w http.ResponseWriter, r *http.Request, st *site, key string, v model.ObjectVersion, status int) error {
	h := w.Header()
	ctype := DefaultContentType(key)
	httpobject.SetObjectHeaders(h, v, ctype)
	for _, name := range []string{redirectHeader, "ETag", "Last-Modified"} {
		h.Del(name)
	}
	s.siteHeaders(h, st, key, h.Get("Content-Type"))
	bucketconfig.SetCORSHeaders(w.Header(), r, st.bucket.CORS.Value)
	return s.write(&statusWriter{ResponseWriter: w, status: status}, r, st, key, v, httpobject.Full, httpobject.Range{Length: v.Meta.Size})
}

// siteHeaders adds the _headers rules matching the request path and, on a
// deploy, the default Cache-Control of a file that has none.
func (s *Server) siteHeaders(h http.Header, st *site, key, ctype string) {
	st.rules.headers.Apply(st.path, h)
	if st.deploy && h.Get("Cache-Control") == "" {
		if cc := defaultCacheControl(key, ctype); cc != "" {
			h.Set("Cache-Control", cc)
		}
	}
}

// statusWriter replaces the status an inner writer sends (an error
// document goes out through httpobject.Write with 404, not 200).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(int) { w.ResponseWriter.WriteHeader(w.status) }

// writeError is the one place errors become responses.
func (s *Server) writeError(w *recorder, r *http.Request, label string, err error) {
	var se *statusError
	if !errors.As(err, &se) && errors.Is(err, table.ErrQuorum) {
		s.log.Warn("web request failed: too few replicas answered", "site", label, "method", r.Method, "path", clipString(r.URL.EscapedPath(), 256), "err", err)
		se = &statusError{http.StatusServiceUnavailable, "Service Unavailable: too few storage nodes answered, try again later"}
	}
	if se == nil {
		s.log.Error("web request failed", "site", label, "method", r.Method, "path", clipString(r.URL.EscapedPath(), 256), "err", err)
		se = &statusError{http.StatusInternalServerError, "Internal Server Error"}
		if errors.Is(err, model.ErrCorrupt) {
			se.msg += ": the object's data failed its integrity check; it was not served"
		}
	}
	if w.status != 0 {
		return // too late to answer
	}
	h := w.Header()
	for _, name := range []string{"Content-Encoding", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Content-Disposition", "Accept-Ranges", "Expires", "Content-Language"} {
		h.Del(name)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	body := strconv.Itoa(se.status) + " " + se.msg + "\n"
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(se.status)
	if r.Method != http.MethodHead {
		io.WriteString(w, body)
	}
}

// modTime is the Last-Modified time of a version.
func modTime(v model.ObjectVersion) time.Time { return time.UnixMilli(int64(v.TS)) }

func clipString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
