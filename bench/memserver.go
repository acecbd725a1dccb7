package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// MemHandler is the ceiling of the machine's HTTP path: a trivial S3-ish
// server with no authentication and no storage. It remembers only the size
// of each object and serves zeros of that size. It speaks path-style
// CreateBucket, HeadBucket, PutObject, GetObject, HeadObject and
// DeleteObject; anything else is 501.
type MemHandler struct {
	mu      sync.RWMutex
	buckets map[string]map[string]int64
}

// NewMemHandler returns an empty MemHandler.
func NewMemHandler() *MemHandler { return &MemHandler{buckets: map[string]map[string]int64{}} }

var zeros = make([]byte, 256<<10)

func (h *MemHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/health" {
		w.WriteHeader(http.StatusOK)
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	if bucket == "" || q.Has("uploads") || q.Has("uploadId") || q.Has("list-type") || q.Has("delete") || q.Has("website") {
		s3Error(w, http.StatusNotImplemented, "NotImplemented")
		return
	}
	if key == "" {
		switch r.Method {
		case http.MethodPut:
			h.mu.Lock()
			if h.buckets[bucket] == nil {
				h.buckets[bucket] = map[string]int64{}
			}
			h.mu.Unlock()
		case http.MethodHead:
			h.mu.RLock()
			ok := h.buckets[bucket] != nil
			h.mu.RUnlock()
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				return
			}
		default:
			s3Error(w, http.StatusNotImplemented, "NotImplemented")
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	switch r.Method {
	case http.MethodPut:
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			s3Error(w, http.StatusBadRequest, "IncompleteBody")
			return
		}
		h.mu.Lock()
		b := h.buckets[bucket]
		if b != nil {
			b[key] = n
		}
		h.mu.Unlock()
		if b == nil {
			s3Error(w, http.StatusNotFound, "NoSuchBucket")
			return
		}
		w.Header().Set("ETag", `"00000000000000000000000000000000"`)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet, http.MethodHead:
		h.mu.RLock()
		n, ok := h.buckets[bucket][key]
		h.mu.RUnlock()
		if !ok {
			s3Error(w, http.StatusNotFound, "NoSuchKey")
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		w.Header().Set("ETag", `"00000000000000000000000000000000"`)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			for n > 0 {
				c, err := w.Write(zeros[:min(n, int64(len(zeros)))])
				if err != nil {
					return
				}
				n -= int64(c)
			}
		}
	case http.MethodDelete:
		h.mu.Lock()
		delete(h.buckets[bucket], key)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, http.StatusNotImplemented, "NotImplemented")
	}
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, code)
}

// Ceiling launches the in-memory MemHandler as a target. With Exe set it
// runs `Exe memserver -addr ADDR` as its own process (as the real servers
// are, so its RSS and CPU are its own); otherwise it serves in-process.
type Ceiling struct {
	Exe string

	p   *proc
	srv *http.Server
}

var _ Launcher = (*Ceiling)(nil)

func (c *Ceiling) Name() string { return "ceiling" }

func (c *Ceiling) Start(ctx context.Context, dir string) (*Target, error) {
	t := &Target{
		Name:      c.Name(),
		Region:    "us-east-1",
		AccessKey: "ceiling",
		SecretKey: "ceiling",
		Lacks:     map[string]bool{FeatureMultipart: true, FeatureList: true, FeatureWebsite: true},
	}
	if c.Exe == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		c.srv = &http.Server{Handler: NewMemHandler()}
		go c.srv.Serve(l)
		t.Endpoints = []string{"http://" + l.Addr().String()}
		return t, nil
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	if c.p, err = startProc(filepath.Join(dir, "ceiling.log"), nil, c.Exe, "memserver", "-addr", addr); err != nil {
		return nil, err
	}
	if err := c.p.waitHTTP(ctx, "http://"+addr+"/health"); err != nil {
		return nil, err
	}
	t.Endpoints = []string{"http://" + addr}
	t.PIDs = []int{c.p.pid()}
	return t, nil
}

func (c *Ceiling) Stop() error {
	if c.srv != nil {
		err := c.srv.Close()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		return err
	}
	return c.p.stop()
}
