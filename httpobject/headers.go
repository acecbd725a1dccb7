package httpobject

import (
	"net/http"
	"strings"
	"time"

	"github.com/garage-web/garage-web/model"
)

// InternalHeaderPrefix starts the names of values a front end keeps among
// an object's stored headers for itself (its tags, say): SetObjectHeaders
// never sends them.
const InternalHeaderPrefix = "x-garage-"

// ModTime is the modification time of an object version.
func ModTime(v model.ObjectVersion) time.Time { return time.UnixMilli(int64(v.TS)) }

// SetObjectHeaders writes the stored headers of v (Content-Type, or
// defaultType when none was stored; user metadata in lower case, as S3
// sends it) and its validators (ETag, Last-Modified).
func SetObjectHeaders(h http.Header, v model.ObjectVersion, defaultType string) {
	for name, value := range v.Meta.Headers {
		switch {
		case strings.HasPrefix(name, InternalHeaderPrefix):
		case strings.HasPrefix(name, "x-amz-meta-"):
			h[name] = []string{value} // sent as stored: lower case, as S3 does
		default:
			h.Set(name, value)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", defaultType)
	}
	SetValidators(h, v.Meta.ETag, ModTime(v))
}
