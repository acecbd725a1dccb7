package httpobject

import (
	"net/http"
	"strings"

	"github.com/garage-web/garage-web/model"
)

// ParseETags splits an If-Match / If-None-Match value into its ETags,
// unquoted and without a weak prefix ("*" stays "*"). An absent or empty
// header is nil.
func ParseETags(list string) []string {
	var out []string
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if part != "*" {
			part = strings.Trim(strings.TrimPrefix(part, "W/"), `"`)
		}
		out = append(out, part)
	}
	return out
}

// MatchETag reports whether a comma-separated If-Match / If-None-Match
// list matches etag (unquoted). "*" matches any.
func MatchETag(list, etag string) bool {
	return model.MatchETags(ParseETags(list), etag)
}

// WriteConditions reads the preconditions of a write (If-Match,
// If-None-Match) from request headers.
func WriteConditions(h http.Header) model.WriteConditions {
	return model.WriteConditions{IfMatch: ParseETags(h.Get("If-Match")), IfNoneMatch: ParseETags(h.Get("If-None-Match"))}
}
