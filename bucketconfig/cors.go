package bucketconfig

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// CORS is a CORSConfiguration document.
type CORS struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Rules   []CORSRule `xml:"CORSRule"`
}

// CORSRule is one CORS rule.
type CORSRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty"`
}

var corsMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "HEAD": true}

// ParseCORS parses and validates a PutBucketCors body.
func ParseCORS(body []byte) (*CORS, error) {
	var c CORS
	if err := xml.Unmarshal(body, &c); err != nil {
		return nil, malformed("CORS configuration: %v", err)
	}
	if len(c.Rules) == 0 || len(c.Rules) > 100 {
		return nil, malformed("a CORS configuration needs 1 to 100 rules")
	}
	for i, r := range c.Rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return nil, malformed("CORS rule %d needs AllowedOrigin and AllowedMethod", i+1)
		}
		for _, m := range r.AllowedMethods {
			if !corsMethods[m] {
				return nil, invalid("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return nil, invalid("CORS rule %d: origin %q may contain at most one wildcard", i+1, o)
			}
		}
	}
	return &c, nil
}

// Marshal returns the document as XML.
func (c *CORS) Marshal() ([]byte, error) {
	d := *c
	d.Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"
	return xml.Marshal(d)
}

func wildcardMatch(pattern, s string) bool {
	before, after, found := strings.Cut(pattern, "*")
	if !found {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// Match returns the first rule allowing origin, method and every header
// of requestHeaders (lowercase names).
func (c *CORS) Match(origin, method string, requestHeaders []string) (*CORSRule, bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if !anyMatch(r.AllowedOrigins, origin, false) || !anyMatch(r.AllowedMethods, method, false) {
			continue
		}
		ok := true
		for _, h := range requestHeaders {
			if !anyMatch(r.AllowedHeaders, h, true) {
				ok = false
				break
			}
		}
		if ok {
			return r, true
		}
	}
	return nil, false
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// SetHeaders writes the CORS response headers of rule for origin. For a
// preflight, it also answers the allowed method and headers.
func (r *CORSRule) SetHeaders(h http.Header, origin string, preflight bool, method string, requestHeaders []string) {
	if anyMatch(r.AllowedOrigins, "*", false) && len(r.AllowedOrigins) == 1 && r.AllowedOrigins[0] == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if !preflight {
		return
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(requestHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(requestHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
}

// RequestHeaders splits an Access-Control-Request-Headers value.
func RequestHeaders(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}
