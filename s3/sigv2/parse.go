package sigv2

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query parameters of a presigned URL.
const (
	qAccessKeyID = "AWSAccessKeyId"
	qExpires     = "Expires"
	qSignature   = "Signature"
)

// headerPrefix starts a Signature Version 2 Authorization header.
const headerPrefix = "AWS "

// IsSigned reports whether r is signed with Signature Version 2: an
// Authorization header "AWS ..." or a presigned URL (AWSAccessKeyId or
// Signature in the query, without SigV4's X-Amz-Algorithm).
func IsSigned(r *http.Request) bool {
	if a := r.Header.Get("Authorization"); a != "" {
		return strings.HasPrefix(a, headerPrefix)
	}
	// Most requests carry neither name: no query parsing for them.
	if raw := r.URL.RawQuery; !strings.Contains(raw, qAccessKeyID) && !strings.Contains(raw, qSignature) {
		return false
	}
	q := r.URL.Query()
	if q.Has("X-Amz-Algorithm") {
		return false
	}
	return q.Has(qAccessKeyID) || q.Has(qSignature)
}

// ParseAuthorization splits an Authorization header "AWS AccessKeyId:Signature".
func ParseAuthorization(v string) (accessKeyID, signature string, err error) {
	if len(v) > maxAuthorization {
		return "", "", malformedHeader("it is longer than %d bytes", maxAuthorization)
	}
	rest, ok := strings.CutPrefix(v, headerPrefix)
	if !ok {
		return "", "", malformedHeader("it does not start with %q", headerPrefix)
	}
	id, sig, ok := strings.Cut(rest, ":")
	switch {
	case !ok:
		return "", "", malformedHeader("no ':' between the access key id and the signature")
	case id == "" || strings.ContainsAny(id, " :"):
		return "", "", malformedHeader("the access key id is empty or has a space")
	case sig == "" || strings.ContainsAny(sig, " :"):
		return "", "", malformedHeader("the signature is empty or has a space")
	}
	return id, sig, nil
}

// Presign is the authentication of a presigned URL.
type Presign struct {
	AccessKeyID string
	// Expires is the Expires parameter as sent: it is signed as it is.
	Expires   string
	ExpiresAt time.Time
	Signature string
}

// ParsePresign reads the presigned-URL parameters of q. Each must be there
// exactly once; Expires is a Unix time in seconds.
func ParsePresign(q url.Values) (Presign, error) {
	var p Presign
	for _, f := range []struct {
		name string
		dst  *string
	}{{qAccessKeyID, &p.AccessKeyID}, {qExpires, &p.Expires}, {qSignature, &p.Signature}} {
		vs := q[f.name]
		switch {
		case len(vs) == 0 || vs[0] == "":
			return Presign{}, queryError("%s is missing", f.name)
		case len(vs) > 1:
			return Presign{}, queryError("%s is given more than once", f.name)
		}
		*f.dst = vs[0]
	}
	secs, err := strconv.ParseInt(p.Expires, 10, 64)
	if err != nil || secs < 0 {
		return Presign{}, queryError("Expires %q is not a number of seconds since 1970", p.Expires)
	}
	p.ExpiresAt = time.Unix(secs, 0)
	return p, nil
}

// parseDate reads a Date or x-amz-date header: RFC 1123 with GMT or a
// numeric zone, RFC 850 or ANSI C, as HTTP allows.
func parseDate(v string) (time.Time, bool) {
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
