package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// queryPair is one decoded query parameter, in the order it was sent.
type queryPair struct{ key, value string }

// parseQuery decodes a raw query string the way url.ParseQuery does ('+' is
// a space, %XX an escaped byte) but keeps every pair, splits only on '&' and
// reports a malformed escape instead of dropping the pair.
func parseQuery(raw string) ([]queryPair, error) {
	var pairs []queryPair
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, queryPair{key, value})
	}
	return pairs, nil
}

// canonicalQuery encodes every pair but the one named skip with the AWS
// rules and sorts them by name, then value.
func canonicalQuery(pairs []queryPair, skip string) string {
	enc := make([]queryPair, 0, len(pairs))
	for _, p := range pairs {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryPair{uriEncode(p.key, false), uriEncode(p.value, false)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// uriEncode percent-encodes every byte of s except the unreserved characters
// A-Z a-z 0-9 - . _ ~ (and '/' when keepSlash), with upper-case hex digits,
// as the SigV4 canonical request requires.
func uriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// canonicalURIs returns the canonical URI candidates of a request path.
//
// S3 signs the path once-encoded and does not normalise it, so the first
// candidate is the path exactly as the client sent it. Clients that send a
// character raw ('$', '+', '=', ...) but sign its escaped form are met by the
// second candidate: the decoded path re-encoded with the AWS rules. Both name
// the same object, so accepting either does not widen what a signature grants.
func canonicalURIs(u *url.URL) []string {
	sent := u.EscapedPath()
	if sent == "" {
		sent = "/"
	}
	enc := uriEncode(u.Path, true)
	if enc == "" {
		enc = "/"
	}
	if enc == sent {
		return []string{sent}
	}
	return []string{sent, enc}
}

// canonicalHeaders renders the signed headers as "name:value\n" lines in the
// order they were listed. Values are trimmed, runs of spaces collapsed and
// repeated headers joined with commas. The host comes from r.Host, where
// net/http keeps it; content-length and transfer-encoding likewise.
func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		switch name {
		case "host":
			b.WriteString(trimAll(r.Host))
		case "content-length":
			if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
				writeValues(&b, vs)
			} else if r.ContentLength >= 0 {
				b.WriteString(strconv.FormatInt(r.ContentLength, 10))
			}
		case "transfer-encoding":
			if vs := r.Header.Values("Transfer-Encoding"); len(vs) > 0 {
				writeValues(&b, vs)
			} else {
				writeValues(&b, r.TransferEncoding)
			}
		default:
			writeValues(&b, r.Header.Values(name))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func writeValues(b *strings.Builder, vs []string) {
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(trimAll(v))
	}
}

// trimAll trims surrounding white space and collapses inner runs of spaces.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// canonicalRequest joins the six parts of a SigV4 canonical request.
func canonicalRequest(method, uri, query, headers string, signedHeaders []string, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" +
		strings.Join(signedHeaders, ";") + "\n" + payloadHash
}

// parseSignedHeaders splits a SignedHeaders value. Names must be lower-case
// header tokens; "host" must be among them.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("SignedHeaders is empty")
	}
	names := strings.Split(s, ";")
	host := false
	for _, n := range names {
		if n == "" {
			return nil, errors.New("SignedHeaders has an empty name")
		}
		for i := 0; i < len(n); i++ {
			c := n[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				return nil, errors.New("SignedHeaders has an invalid name " + strconv.Quote(n))
			}
		}
		if n == "host" {
			host = true
		}
	}
	if !host {
		return nil, errors.New("SignedHeaders must include host")
	}
	return names, nil
}
