package rules

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// HeaderRule is one path pattern of a `_headers` file and its headers.
type HeaderRule struct {
	Line    int
	Path    string
	Headers http.Header
	path    pattern
}

// Headers is a parsed `_headers` file.
type Headers struct{ Rules []HeaderRule }

// ParseHeaders parses a `_headers` file: a path pattern on a line of its
// own at the start of the line, then indented "Name: value" lines.
func ParseHeaders(data []byte) (*Headers, []LineError) {
	out := &Headers{}
	var errs []LineError
	var cur *HeaderRule
	eachLine(data, func(n int, line string) {
		fail := func(format string, args ...any) {
			errs = append(errs, LineError{File: "_headers", Line: n, Msg: fmt.Sprintf(format, args...)})
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			return
		}
		if line[0] != ' ' && line[0] != '\t' {
			cur = nil
			if len(out.Rules) == MaxRules {
				fail("more than %d path patterns: ignored", MaxRules)
				return
			}
			p, err := parsePattern(trimmed)
			if err != nil {
				fail("%v", err)
				return
			}
			out.Rules = append(out.Rules, HeaderRule{Line: n, Path: trimmed, Headers: http.Header{}, path: p})
			cur = &out.Rules[len(out.Rules)-1]
			return
		}
		name, value, ok := strings.Cut(trimmed, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			fail("want \"Name: value\", got %q", trimmed)
		case !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value):
			fail("invalid header %q", trimmed)
		case cur == nil:
			fail("header %q before any path", name)
		default:
			cur.Headers.Add(textproto.CanonicalMIMEHeaderKey(name), value)
		}
	})
	return out, errs
}

// Apply sets on h the headers of every rule matching path, in file
// order; a header named by several rules gets all their values.
func (hs *Headers) Apply(path string, h http.Header) {
	if hs == nil {
		return
	}
	set := map[string]bool{}
	for _, r := range hs.Rules {
		if _, ok := r.path.match(path); !ok {
			continue
		}
		for name, vals := range r.Headers {
			if !set[name] {
				h.Del(name)
				set[name] = true
			}
			for _, v := range vals {
				h.Add(name, v)
			}
		}
	}
}
