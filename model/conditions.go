package model

// MatchETags reports whether etag (unquoted) is one of etags, or etags
// holds "*" (any ETag). Parsing the HTTP headers into etags is the front
// ends' work (httpobject.WriteConditions).
func MatchETags(etags []string, etag string) bool {
	for _, e := range etags {
		if e == "*" || e == etag {
			return true
		}
	}
	return false
}
