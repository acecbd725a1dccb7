package sigv4

import (
	"net/http"
	"strings"
	"time"
)

// authorization is what a signature is made of, whether it came from the
// Authorization header or the query string.
type authorization struct {
	cred          credential
	signedHeaders []string
	signature     string
}

// parseAuthorization parses an Authorization header value:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// The three components may come in any order, separated by commas and
// optional spaces; each must appear exactly once.
func parseAuthorization(v string) (authorization, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if alg != algorithm {
		return authorization{}, errUnsupportedAuth
	}
	var a authorization
	var haveCred, haveSigned, haveSig bool
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return authorization{}, byHeader.malformed("%q is not of the form key=value", part)
		}
		var err error
		switch key {
		case "Credential":
			if haveCred {
				return authorization{}, byHeader.malformed("Credential is given twice")
			}
			haveCred = true
			if a.cred, err = parseCredential(value); err != nil {
				return authorization{}, byHeader.malformed("%v", err)
			}
		case "SignedHeaders":
			if haveSigned {
				return authorization{}, byHeader.malformed("SignedHeaders is given twice")
			}
			haveSigned = true
			if a.signedHeaders, err = parseSignedHeaders(value); err != nil {
				return authorization{}, byHeader.malformed("%v", err)
			}
		case "Signature":
			if haveSig {
				return authorization{}, byHeader.malformed("Signature is given twice")
			}
			haveSig = true
			if !isLowerHex(value, 64) {
				return authorization{}, byHeader.malformed("Signature must be 64 lower-case hex digits")
			}
			a.signature = value
		default:
			return authorization{}, byHeader.malformed("unknown component %q", key)
		}
	}
	if !haveCred || !haveSigned || !haveSig {
		return authorization{}, byHeader.malformed("Credential, SignedHeaders and Signature are all required")
	}
	return a, nil
}

// headerTime returns the request time from x-amz-date, or from Date when
// x-amz-date is absent.
func headerTime(h http.Header) (time.Time, error) {
	if v := h.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return time.Time{}, errNoDate
		}
		return t, nil
	}
	if v := h.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return time.Time{}, errNoDate
		}
		return t.UTC(), nil
	}
	return time.Time{}, errNoDate
}
