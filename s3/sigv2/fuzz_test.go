package sigv2

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseAuthorization: any header parses or fails with an S3 error,
// and what parses has a non-empty id and signature without separators.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", "AWS :", "AWS a:b:c", "AWS4-HMAC-SHA256 x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, sig, err := ParseAuthorization(s)
		if err != nil {
			return
		}
		if id == "" || sig == "" || strings.ContainsAny(id, " :") || strings.ContainsAny(sig, " :") {
			t.Fatalf("ParseAuthorization(%q) = %q, %q", s, id, sig)
		}
		if got := "AWS " + id + ":" + sig; got != s {
			t.Fatalf("does not round-trip: %q -> %q", s, got)
		}
	})
}

// FuzzParsePresign: any query parses or fails; what parses has all three
// parameters and a non-negative expiry.
func FuzzParsePresign(f *testing.F) {
	for _, s := range []string{"AWSAccessKeyId=a&Expires=1175139620&Signature=s", "Expires=-1", "AWSAccessKeyId=a&AWSAccessKeyId=b", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := ParsePresign(q)
		if err != nil {
			return
		}
		if p.AccessKeyID == "" || p.Signature == "" || p.ExpiresAt.Unix() < 0 {
			t.Fatalf("ParsePresign(%q) = %+v", raw, p)
		}
		_ = CanonicalResource("", "/b/k", q)
	})
}
