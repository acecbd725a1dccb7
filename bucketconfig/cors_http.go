package bucketconfig

import "net/http"

// Preflight answers the headers of a CORS preflight (OPTIONS) request r
// from a bucket's stored CORS configuration corsXML, and reports whether
// a rule allowed it. No configuration, or one that does not parse, allows
// nothing.
func Preflight(h http.Header, r *http.Request, corsXML string) bool {
	if corsXML == "" {
		return false
	}
	c, err := ParseCORS([]byte(corsXML))
	if err != nil {
		return false
	}
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	headers := RequestHeaders(r.Header.Get("Access-Control-Request-Headers"))
	rule, ok := c.Match(origin, method, headers)
	if !ok {
		return false
	}
	rule.SetHeaders(h, origin, true, method, headers)
	return true
}

// SetCORSHeaders adds the CORS headers of an actual (non-preflight)
// request r with an Origin that a rule of corsXML allows.
func SetCORSHeaders(h http.Header, r *http.Request, corsXML string) {
	origin := r.Header.Get("Origin")
	if origin == "" || corsXML == "" {
		return
	}
	c, err := ParseCORS([]byte(corsXML))
	if err != nil {
		return
	}
	if rule, ok := c.Match(origin, r.Method, nil); ok {
		rule.SetHeaders(h, origin, false, r.Method, nil)
	}
}
