package rules

import (
	"fmt"
	"strings"
)

// pattern is a path pattern: literal segments, ":name" placeholders
// (one segment each) and a final "*" splat (the rest of the path).
type pattern struct {
	segs  []string // literal (lower-cased) or ":name"
	splat bool
}

// parsePattern parses a path pattern starting with "/".
func parsePattern(p string) (pattern, error) {
	if !strings.HasPrefix(p, "/") {
		return pattern{}, fmt.Errorf("path %q does not start with /", p)
	}
	var out pattern
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		parts = nil
	}
	for i, s := range parts {
		switch {
		case s == "*":
			if i != len(parts)-1 {
				return pattern{}, fmt.Errorf("path %q: * only at the end", p)
			}
			out.splat = true
		case strings.Contains(s, "*"):
			return pattern{}, fmt.Errorf("path %q: * must be a whole segment", p)
		case s == "" && i > 0:
			return pattern{}, fmt.Errorf("path %q has an empty segment", p)
		case strings.HasPrefix(s, ":"):
			if !validName(s[1:]) {
				return pattern{}, fmt.Errorf("path %q: bad placeholder %q", p, s)
			}
			out.segs = append(out.segs, s)
		default:
			out.segs = append(out.segs, strings.ToLower(s))
		}
	}
	return out, nil
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if !isNameByte(n[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// match matches path (starting with "/", without query) and returns the
// placeholder values, with "splat" for the splat.
func (p pattern) match(path string) (map[string]string, bool) {
	rest := strings.Trim(path, "/")
	var parts []string
	if rest != "" {
		parts = strings.Split(rest, "/")
	}
	if len(parts) < len(p.segs) || !p.splat && len(parts) != len(p.segs) {
		return nil, false
	}
	var vals map[string]string
	for i, s := range p.segs {
		if strings.HasPrefix(s, ":") {
			if parts[i] == "" {
				return nil, false
			}
			if vals == nil {
				vals = map[string]string{}
			}
			vals[s[1:]] = parts[i]
		} else if !strings.EqualFold(s, parts[i]) {
			return nil, false
		}
	}
	if p.splat {
		if vals == nil {
			vals = map[string]string{}
		}
		vals["splat"] = strings.Join(parts[len(p.segs):], "/")
	}
	return vals, true
}

// expand replaces ":name" tokens of to with their values; unknown names
// stay as they are.
func expand(to string, vals map[string]string) string {
	if len(vals) == 0 || !strings.Contains(to, ":") {
		return to
	}
	var b strings.Builder
	for i := 0; i < len(to); i++ {
		if to[i] != ':' {
			b.WriteByte(to[i])
			continue
		}
		j := i + 1
		for j < len(to) && isNameByte(to[j]) {
			j++
		}
		if v, ok := vals[to[i+1:j]]; ok && j > i+1 {
			b.WriteString(v)
			i = j - 1
			continue
		}
		b.WriteByte(':')
	}
	return b.String()
}
