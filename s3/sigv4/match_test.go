package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHMACSum: the stack HMAC is crypto/hmac's, for keys and messages
// of every length around the block and buffer sizes.
func TestHMACSum(t *testing.T) {
	for _, kl := range []int{0, 1, 32, 63, 64, 65, 100} {
		for _, ml := range []int{0, 1, 55, 56, 64, 200, 447, 448, 449, 1000} {
			key := bytes.Repeat([]byte{byte(kl + 1)}, kl)
			msg := bytes.Repeat([]byte{byte(ml + 7)}, ml)
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			got := hmacSum(key, msg)
			if !bytes.Equal(got[:], m.Sum(nil)) {
				t.Errorf("key %d bytes, message %d bytes: differs from crypto/hmac", kl, ml)
			}
		}
	}
}

// TestAppendCanonicalMatchesStrings: the append forms give what the
// string forms give.
func TestAppendCanonicalMatchesStrings(t *testing.T) {
	r := httptest.NewRequest("PUT", "http://example.com/b/k", strings.NewReader("abc"))
	r.Header.Add("X-Amz-Meta-A", "  two  spaces  ")
	r.Header.Add("X-Amz-Meta-A", "second")
	r.Header.Set("X-Amz-Date", "20260101T000000Z")
	names := []string{"content-length", "host", "transfer-encoding", "x-amz-date", "x-amz-meta-a", "x-absent"}
	h := canonicalHeaders(r, names)
	if got := appendCanonicalHeaders(nil, r, names); string(got) != h {
		t.Fatalf("headers:\n%q\nwant\n%q", got, h)
	}
	want := canonicalRequest("PUT", "/b/k", "a=1&b=2", h, names, "UNSIGNED-PAYLOAD")
	if got := appendCanonicalRequest(nil, "PUT", "/b/k", "a=1&b=2", []byte(h), names, "UNSIGNED-PAYLOAD"); string(got) != want {
		t.Fatalf("canonical request:\n%q\nwant\n%q", got, want)
	}
}

// TestCanonicalURIPair: the same candidates as canonicalURIs.
func TestCanonicalURIPair(t *testing.T) {
	for _, target := range []string{"/", "/b/k", "/b/a%20b", "/b/a+b", "/b/$x=y", "/b/%24x", "/b/é", "/b/%C3%A9", "/b/~._-/x", "/b//k", "/b/a%2Fb"} {
		r := httptest.NewRequest("GET", "http://example.com"+target, nil)
		want := canonicalURIs(r.URL)
		a, b := canonicalURIPair(r)
		got := []string{a}
		if b != "" {
			got = append(got, b)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
}
