package sigv2

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// SubResources are the query parameters that are part of the signed
// resource (AWS's list, and those boto and s3cmd add for newer
// sub-resources). Every other parameter is left out of the signature.
var SubResources = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "cors": true, "delete": true,
	"encryption": true, "inventory": true, "legal-hold": true, "lifecycle": true,
	"location": true, "logging": true, "metrics": true, "notification": true,
	"object-lock": true, "partNumber": true, "policy": true, "replication": true,
	"requestPayment": true, "restore": true, "retention": true, "select": true,
	"select-type": true, "tagging": true, "torrent": true, "uploadId": true,
	"uploads": true, "versionId": true, "versioning": true, "versions": true,
	"website":                true,
	"response-cache-control": true, "response-content-disposition": true,
	"response-content-encoding": true, "response-content-language": true,
	"response-content-type": true, "response-expires": true,
}

// Sign returns base64(HMAC-SHA1(secret, stringToSign)).
func Sign(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// StringToSign builds the string a Signature Version 2 request signs, with
// date in its Date position (the Date header, "" when x-amz-date is sent,
// or a presigned URL's Expires) and resource its canonical resource.
func StringToSign(method string, h http.Header, date, resource string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(strings.TrimSpace(h.Get("Content-Md5")))
	b.WriteByte('\n')
	b.WriteString(strings.TrimSpace(h.Get("Content-Type")))
	b.WriteByte('\n')
	b.WriteString(date)
	b.WriteByte('\n')
	b.WriteString(canonicalAmzHeaders(h))
	b.WriteString(resource)
	return b.String()
}

// canonicalAmzHeaders lists the x-amz-* headers, lower case and sorted,
// one "name:value\n" each, repeated values joined by commas and folded
// white space collapsed.
func canonicalAmzHeaders(h http.Header) string {
	var names []string
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-") {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		li, lj := strings.ToLower(names[i]), strings.ToLower(names[j])
		return li < lj || li == lj && names[i] < names[j]
	})
	var b strings.Builder
	for i := 0; i < len(names); i++ {
		lower := strings.ToLower(names[i])
		var vals []string
		// Header maps may hold one name under two spellings.
		for ; i < len(names) && strings.ToLower(names[i]) == lower; i++ {
			for _, v := range h[names[i]] {
				vals = append(vals, strings.Join(strings.Fields(v), " "))
			}
		}
		i--
		b.WriteString(lower)
		b.WriteByte(':')
		b.WriteString(strings.Join(vals, ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// CanonicalResource is "/bucket" (when the bucket is named by the host,
// not the path; "" otherwise) followed by the request path and the
// sub-resources of q, sorted, as "?name" or "?name=value" joined by '&',
// with their values as decoded.
func CanonicalResource(hostBucket, path string, q url.Values) string {
	var b strings.Builder
	if hostBucket != "" {
		b.WriteString("/" + hostBucket)
	}
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	var subs []string
	for name := range q {
		if SubResources[name] {
			subs = append(subs, name)
		}
	}
	sort.Strings(subs)
	for i, name := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(name)
		if v := q.Get(name); v != "" {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// hostBucket returns the bucket a virtual-hosted-style Host names
// ("<bucket><rootDomain>"), or "".
func hostBucket(host, rootDomain string) string {
	if rootDomain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if strings.HasSuffix(host, rootDomain) && len(host) > len(rootDomain) {
		return host[:len(host)-len(rootDomain)]
	}
	return ""
}

// paths returns the forms of r's path a client may have signed: as sent
// on the wire, Go's escaping of it, and decoded; a path naming only a
// bucket ("/bucket") also with a trailing slash, as AWS writes the
// resource of a bucket and botocore signs it. Duplicates are removed.
func paths(r *http.Request) []string {
	var out []string
	add := func(p string) {
		for _, o := range out {
			if o == p {
				return
			}
		}
		out = append(out, p)
	}
	if raw, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(raw, "/") {
		add(raw)
	}
	add(r.URL.EscapedPath())
	add(r.URL.Path)
	for _, p := range out {
		if len(p) > 1 && strings.IndexByte(p[1:], '/') < 0 {
			add(p + "/")
		}
	}
	return out
}
