package e2e

// Object headers come back as they were stored (issue 10).

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

func TestHeadersCompat(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	bucket := e.bucket(t, "headers-compat")

	put := func(t *testing.T, key string, h map[string]string) {
		t.Helper()
		req := sdkReq(t, e.ctx, http.MethodPut, e.s3URL()+"/"+bucket+"/"+key, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp := sdkSignedDo(t, e.key, req, []byte("body"), time.Now())
		if b := sdkReadBody(t, resp); resp.StatusCode != 200 {
			t.Fatalf("PUT %s: %s %s", key, resp.Status, b)
		}
	}
	get := func(t *testing.T, key string) http.Header {
		t.Helper()
		resp := sdkSignedDo(t, e.key, sdkReq(t, e.ctx, http.MethodGet, e.s3URL()+"/"+bucket+"/"+key, nil), nil, time.Now())
		if b := sdkReadBody(t, resp); resp.StatusCode != 200 || !bytes.Equal(b, []byte("body")) {
			t.Fatalf("GET %s: %s %q", key, resp.Status, b)
		}
		return resp.Header
	}

	t.Run("ContentEncodingByteIdentical", func(t *testing.T) {
		for _, v := range []string{"deflate, gzip", "gzip,  br", "identity"} {
			put(t, "ce", map[string]string{"Content-Encoding": v})
			if got := get(t, "ce").Get("Content-Encoding"); got != v {
				t.Fatalf("Content-Encoding %q came back as %q", v, got)
			}
		}
	})
	t.Run("NonASCIIMetadataAsStored", func(t *testing.T) {
		for _, v := range []string{"=?UTF-8?B?Y2Fmw6k=?=", "caf\xc3\xa9", "plain ascii"} {
			put(t, "meta", map[string]string{"X-Amz-Meta-Name": v})
			if got := get(t, "meta").Values("X-Amz-Meta-Name"); len(got) != 1 || got[0] != v {
				t.Fatalf("x-amz-meta-name %q came back as %q", v, got)
			}
			put(t, "meta-copy", map[string]string{"X-Amz-Copy-Source": bucket + "/meta", "X-Amz-Metadata-Directive": "REPLACE", "X-Amz-Meta-Name": v})
			if got := get(t, "meta-copy").Values("X-Amz-Meta-Name"); len(got) != 1 || got[0] != v {
				t.Fatalf("copied with x-amz-meta-name %q: came back as %q", v, got)
			}
			put(t, "meta-copy2", map[string]string{"X-Amz-Copy-Source": bucket + "/meta"})
			if got := get(t, "meta-copy2").Values("X-Amz-Meta-Name"); len(got) != 1 || got[0] != v {
				t.Fatalf("copied x-amz-meta-name %q: came back as %q", v, got)
			}
		}
	})
}
