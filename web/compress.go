package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/model"
)

// On-the-fly compression: a compressible object (content.go) stored
// without a Content-Encoding and without a precompressed sibling is sent
// compressed in the client's preferred coding (br, zstd, gzip; ties in
// that order) when it is between MinCompressSize and MaxCompressSize
// bytes. The compressed body has its own ETag, the stored one with
// "-<coding>" appended inside the quotes (as nginx and Caddy do), so that
// caches never mix the variants. Range requests, and responses whose
// Cache-Control says no-transform, get the identity body. Compressed
// bodies are kept in a byte-bounded LRU (compress_cache.go), so that a
// popular page is compressed once.

// compressor encodes whole bodies. It is safe for concurrent use.
type compressor struct {
	zstd *zstd.Encoder // EncodeAll is safe for concurrent use
}

func newCompressor() (*compressor, error) {
	// EncodeAll runs at most zstdEncoders compressions at once.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(min(runtime.GOMAXPROCS(0), zstdEncoders)))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return &compressor{zstd: enc}, nil
}

// zstdEncoders bounds the zstd encoders (and their memory) kept.
const zstdEncoders = 4

// brotliLevel trades ratio for speed: responses are compressed while the
// client waits (once, thanks to the cache).
const brotliLevel = 5

// compress returns data encoded in coding ("br", "zstd" or "gzip").
func (c *compressor) compress(coding string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "zstd":
		return c.zstd.EncodeAll(data, make([]byte, 0, len(data)/2)), nil
	case "br":
		w = brotli.NewWriterLevel(&buf, brotliLevel)
	case "gzip":
		gw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
		if err != nil {
			return nil, fmt.Errorf("gzip encoder: %w", err)
		}
		w = gw
	default:
		return nil, fmt.Errorf("unknown content coding %q", coding)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("%s: %w", coding, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", coding, err)
	}
	return buf.Bytes(), nil
}

// wantsCompression reports whether v may be compressed on the fly for r;
// it returns the coding to use. The caller has checked that the type is
// compressible, the object has no Content-Encoding and no precompressed
// sibling matched; h holds the response headers set so far.
func wantsCompression(r *http.Request, h http.Header, v model.ObjectVersion) (string, bool) {
	if r.Header.Get("Range") != "" || v.Meta.Size < MinCompressSize || v.Meta.Size > MaxCompressSize {
		return "", false
	}
	if strings.Contains(strings.ToLower(h.Get("Cache-Control")), "no-transform") {
		return "", false
	}
	accepted := acceptedEncodings(r.Header.Get("Accept-Encoding"))
	if len(accepted) == 0 {
		return "", false
	}
	return accepted[0].name, true
}

// compressedBody returns v's body in coding, from the cache or
// compressed now; nil when the coding does not make it smaller.
func (s *Server) compressedBody(r *http.Request, bucketID, key string, v model.ObjectVersion, coding string) ([]byte, error) {
	ck := compressKey{bucketID: bucketID, key: key, etag: v.Meta.ETag, coding: coding}
	if body, ok := s.compressCache.get(ck); ok {
		return body, nil
	}
	rc, err := s.store.Open(r.Context(), v, 0, v.Meta.Size)
	if err != nil {
		return nil, fmt.Errorf("open %q to compress: %w", key, err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, v.Meta.Size))
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("read %q to compress: %w", key, err)
	}
	body, err := s.compressor.compress(coding, data)
	if err != nil {
		return nil, fmt.Errorf("compress %q: %w", key, err)
	}
	if len(body) >= len(data) {
		body = nil
	}
	s.compressCache.add(ck, body)
	return body, nil
}

// serveCompressed answers r with v compressed on the fly when it may be;
// done is false when the caller must send v as stored. The caller has set
// the object's headers (ETag, Content-Type, site headers, CORS).
func (s *Server) serveCompressed(w http.ResponseWriter, r *http.Request, st *site, key string, v model.ObjectVersion) (done bool, err error) {
	h := w.Header()
	coding, ok := wantsCompression(r, h, v)
	if !ok {
		return false, nil
	}
	body, err := s.compressedBody(r, st.bucket.ID, key, v, coding)
	if err != nil || body == nil {
		return false, err
	}
	etag := v.Meta.ETag + "-" + coding
	h.Set("ETag", `"`+etag+`"`)
	h.Set("Content-Encoding", coding)
	h.Del("Accept-Ranges") // ranges are served on the identity body only
	out, _ := httpobject.Plan(r, etag, modTime(v), int64(len(body)))
	switch out {
	case httpobject.NotModified:
		h.Del("Content-Type")
		h.Del("Content-Length")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return true, nil
	case httpobject.PreconditionFailed:
		h.Del("Content-Encoding")
		return true, httpError(http.StatusPreconditionFailed, "Precondition Failed")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		if _, err := w.Write(body); err != nil && r.Context().Err() == nil {
			s.log.Debug("compressed response cut short", "site", st.name, "key", key, "err", err)
		}
	}
	return true, nil
}
