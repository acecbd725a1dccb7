package s3

import (
	"net/http"
	"strings"

	"github.com/garage-web/garage-web/s3/s3err"
)

// storedHeaderNames are the request headers kept with an object and
// returned by GET and HEAD.
var storedHeaderNames = []string{
	"Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding",
	"Content-Language", "Expires", "X-Amz-Website-Redirect-Location",
}

// maxUserMetadata is the S3 limit on the size of x-amz-meta-* headers.
const maxUserMetadata = 2048

// objectHeaders extracts the headers to store with a new object.
func objectHeaders(h http.Header) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range storedHeaderNames {
		if v := h.Get(name); v != "" {
			out[name] = v
		}
	}
	// aws-chunked is a transfer detail of the upload, not of the object.
	// Any other value is kept byte for byte ("deflate, gzip" stays so).
	if ce, ok := out["Content-Encoding"]; ok {
		var kept []string
		dropped := false
		for _, p := range strings.Split(ce, ",") {
			if t := strings.TrimSpace(p); strings.EqualFold(t, "aws-chunked") {
				dropped = true
			} else if t != "" {
				kept = append(kept, t)
			}
		}
		switch {
		case len(kept) == 0:
			delete(out, "Content-Encoding")
		case dropped:
			out["Content-Encoding"] = strings.Join(kept, ", ")
		}
	}
	size := 0
	for name, vs := range h {
		if strings.HasPrefix(name, "X-Amz-Meta-") {
			// S3 returns user metadata names in lower case.
			v := strings.Join(vs, ",")
			out[strings.ToLower(name)] = v
			size += len(name) - len("X-Amz-Meta-") + len(v)
		}
	}
	if size > maxUserMetadata {
		return nil, s3err.WithMessage(s3err.ErrMetadataTooLarge, "Your metadata headers exceed the maximum allowed metadata size (%d bytes).", maxUserMetadata)
	}
	if err := setStorageClass(out, h); err != nil {
		return nil, err
	}
	if err := setTagging(out, h); err != nil {
		return nil, err
	}
	if err := setObjectACLHeader(out, h); err != nil { // acl.go
		return nil, err
	}
	return out, nil
}

// rejectEncryption refuses server-side encryption headers: garage-web
// does not encrypt at rest, and must never let a client believe it does.
func rejectEncryption(h http.Header) error {
	for name := range h {
		if strings.HasPrefix(name, "X-Amz-Server-Side-Encryption") || strings.HasPrefix(name, "X-Amz-Copy-Source-Server-Side-Encryption") {
			return s3err.WithMessage(s3err.ErrNotImplemented, "Server-side encryption (%s) is not supported by garage-web; encrypt on the client side instead.", name)
		}
	}
	return nil
}

// rejectProtection refuses requests for a protection garage-web does not
// give: Object Lock (on a new bucket, or retention and legal hold on an
// object). Accepting them would let a backup tool believe its copies
// cannot be deleted. Nothing is changed by a refused request.
func rejectProtection(h http.Header) error {
	if v := h.Get("X-Amz-Bucket-Object-Lock-Enabled"); strings.EqualFold(strings.TrimSpace(v), "true") {
		return s3err.WithMessage(s3err.ErrNotImplemented, "Object Lock (x-amz-bucket-object-lock-enabled) is not supported by garage-web: objects could still be deleted or overwritten. The bucket was not created.")
	}
	for _, name := range []string{"X-Amz-Object-Lock-Mode", "X-Amz-Object-Lock-Retain-Until-Date"} {
		if h.Get(name) != "" {
			return s3err.WithMessage(s3err.ErrNotImplemented, "Object Lock retention (%s) is not supported by garage-web: the object could still be deleted or overwritten. Nothing was stored.", name)
		}
	}
	if v := h.Get("X-Amz-Object-Lock-Legal-Hold"); v != "" && !strings.EqualFold(strings.TrimSpace(v), "OFF") {
		return s3err.WithMessage(s3err.ErrNotImplemented, "Object Lock legal hold (x-amz-object-lock-legal-hold) is not supported by garage-web: the object could still be deleted. Nothing was stored.")
	}
	return nil
}

// responseOverrides are the GetObject query parameters that replace a
// response header.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}
