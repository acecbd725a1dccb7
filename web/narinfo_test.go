package web

import (
	"strings"
	"testing"

	"github.com/garage-web/garage-web/nixsign"
)

func TestNarinfoSignedOnRead(t *testing.T) {
	f := newFixture(t)
	body := "StorePath: /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x\nURL: nar/x.nar\nNarHash: sha256:0yzh\nNarSize: 10\nReferences: \n"
	f.store.put("cache", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.narinfo", []byte(body), nil)
	if w := f.do("GET", "cache.web.localhost", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.narinfo", nil); w.Body.String() != body {
		t.Fatalf("without a key: %q", w.Body.String())
	}
	k, _ := nixsign.Generate("cache-1")
	f.store.mu.Lock()
	f.store.nixKeys = map[string]string{"id-cache": k.String()}
	f.store.mu.Unlock()
	f.srv.nixKeys = map[string]cachedNixKey{} // forget the cached absence
	w := f.do("GET", "cache.web.localhost", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.narinfo", nil)
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), body) || !strings.Contains(w.Body.String(), "\nSig: cache-1:") || w.Header().Get("Content-Type") != NarInfoType {
		t.Fatalf("with a key: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	if w2 := f.do("GET", "cache.web.localhost", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.narinfo", nil, "If-None-Match", w.Header().Get("ETag")); w2.Code != 304 {
		t.Fatalf("If-None-Match: %d", w2.Code)
	}
}
