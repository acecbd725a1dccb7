package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garage-web/garage-web/bucketconfig"
	"github.com/garage-web/garage-web/httpobject"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/nixsign"
)

// Server-side signing of Nix narinfos: a cache bucket holding a signing
// key (`garage-web nix-cache keygen BUCKET`) serves every narinfo with a
// signature by that key added when it lacks one, so `nix copy --to`
// pushers need only write access. Signing happens on read: uploads by S3
// and by HTTP PUT alike are covered, and a new key signs what is already
// stored.

// nixKeyRecheck: how long a bucket's key (or its absence) is cached.
const nixKeyRecheck = 5 * time.Second

type cachedNixKey struct {
	key     *nixsign.SecretKey
	checked time.Time
}

// nixKey returns the bucket's signing key, nil when it has none.
func (s *Server) nixKey(ctx context.Context, bucketID string) (*nixsign.SecretKey, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.nixKeys[bucketID]
	s.mu.Unlock()
	if ok && now.Sub(c.checked) < nixKeyRecheck {
		return c.key, nil
	}
	secret, err := s.store.GetNixCacheKey(ctx, bucketID)
	if err != nil {
		return nil, err
	}
	c = cachedNixKey{checked: now}
	if secret != "" {
		k, err := nixsign.ParseSecretKey(secret)
		if err != nil {
			s.log.Error("nix cache signing key unreadable: narinfos served unsigned", "bucket", bucketID, "err", err)
		} else {
			c.key = &k
		}
	}
	s.mu.Lock()
	if len(s.nixKeys) >= maxCachedRules {
		s.nixKeys = map[string]cachedNixKey{}
	}
	s.nixKeys[bucketID] = c
	s.mu.Unlock()
	return c.key, nil
}

// serveSignedNarinfo serves narinfo v signed by the bucket's key. It
// returns false, having written nothing, when there is nothing to sign
// (no key, not a narinfo, already signed by the key).
func (s *Server) serveSignedNarinfo(w http.ResponseWriter, r *http.Request, st *site, key string, v model.ObjectVersion) (bool, error) {
	if !strings.HasSuffix(key, ".narinfo") || v.Meta.Headers["Content-Encoding"] != "" || v.Meta.Size > 1<<20 {
		return false, nil
	}
	k, err := s.nixKey(r.Context(), st.bucket.ID)
	if err != nil || k == nil {
		return false, err
	}
	data, err := s.readSmall(r.Context(), v)
	if err != nil {
		return false, err
	}
	out, changed := nixsign.Sign(data, *k)
	if !changed {
		return false, nil
	}
	h := w.Header()
	httpobject.SetObjectHeaders(h, v, DefaultContentType(key))
	h.Del(redirectHeader)
	h.Del("Accept-Ranges")
	sum := sha256.Sum256([]byte(k.PublicKey()))
	etag := `"` + v.Meta.ETag + "-" + hex.EncodeToString(sum[:4]) + `"`
	h.Set("ETag", etag)
	h.Set("Content-Length", strconv.Itoa(len(out)))
	bucketconfig.SetCORSHeaders(w.Header(), r, st.bucket.CORS.Value)
	if r.Header.Get("If-None-Match") == etag {
		h.Del("Content-Length")
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return true, nil
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(out)
	}
	return true, nil
}

// touchInterval: a narinfo's fetch is recorded at most this often (for
// garbage collection by last use, model.NixCacheGC).
const touchInterval = time.Hour

// touchNarinfo records, in the background, that narinfo key of a bucket
// was fetched, once per touchInterval per narinfo and node.
func (s *Server) touchNarinfo(ctx context.Context, bucketID, key string) {
	if !strings.HasSuffix(key, ".narinfo") {
		return
	}
	id := bucketID + "/" + key
	now := time.Now()
	s.mu.Lock()
	last, ok := s.touched[id]
	if ok && now.Sub(last) < touchInterval {
		s.mu.Unlock()
		return
	}
	if len(s.touched) >= 1<<16 {
		s.touched = map[string]time.Time{}
	}
	s.touched[id] = now
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	go func() {
		defer cancel()
		if err := s.store.TouchNixNarinfo(ctx, bucketID, key, now); err != nil {
			s.log.Warn("recording a narinfo fetch failed", "bucket", bucketID, "key", key, "err", err)
		}
	}()
}
