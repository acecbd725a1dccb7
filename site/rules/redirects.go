package rules

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Limits of rules files; lines past them are reported and skipped.
const (
	// MaxFileSize: only the first MaxFileSize bytes of a file are read.
	MaxFileSize = 1 << 20
	// MaxRules is the number of rules kept per file.
	MaxRules = 10000
)

// LineError is a malformed line of a rules file.
type LineError struct {
	File string // "_redirects" or "_headers"
	Line int    // 1-based
	Msg  string
}

func (e LineError) Error() string { return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg) }

// Redirect is one `_redirects` rule.
type Redirect struct {
	Line   int
	From   string
	To     string
	Status int  // 301, 302, 307, 308, 404 or 200 (a rewrite)
	Force  bool // "!": applies even when a file exists at the path
	from   pattern
}

// IsRewrite reports whether the rule serves another path (200 or 404)
// rather than redirecting.
func (r Redirect) IsRewrite() bool { return r.Status == 200 || r.Status == 404 }

// Redirects is a parsed `_redirects` file: rules in file order.
type Redirects struct{ Rules []Redirect }

// Match is a rule that matched a path, with its target expanded.
type Match struct {
	Rule *Redirect
	// To is the target with splat and placeholders replaced: a path (for
	// rewrites always) or an absolute URL.
	To string
}

// ParseRedirects parses a `_redirects` file.
func ParseRedirects(data []byte) (*Redirects, []LineError) {
	out := &Redirects{}
	var errs []LineError
	eachLine(data, func(n int, line string) {
		fail := func(format string, args ...any) {
			errs = append(errs, LineError{File: "_redirects", Line: n, Msg: fmt.Sprintf(format, args...)})
		}
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			return
		}
		if len(f) < 2 {
			fail("want \"FROM TO [STATUS]\", got %q", strings.TrimSpace(line))
			return
		}
		if len(out.Rules) == MaxRules {
			fail("more than %d rules: ignored", MaxRules)
			return
		}
		r := Redirect{Line: n, From: f[0], To: f[1], Status: 301}
		p, err := parsePattern(r.From)
		if err != nil {
			fail("%v", err)
			return
		}
		r.from = p
		if len(f) >= 3 {
			st := f[2]
			if strings.HasSuffix(st, "!") {
				r.Force, st = true, strings.TrimSuffix(st, "!")
			}
			code, err := strconv.Atoi(st)
			if err != nil || !validStatus(code) {
				fail("status %q: want 200, 301, 302, 307, 308 or 404, with an optional !", f[2])
				return
			}
			r.Status = code
		}
		if len(f) > 3 {
			fail("conditions (%s) are not supported", strings.Join(f[3:], " "))
			return
		}
		if err := checkTarget(r); err != nil {
			fail("%v", err)
			return
		}
		out.Rules = append(out.Rules, r)
	})
	return out, errs
}

func validStatus(code int) bool {
	switch code {
	case 200, 301, 302, 303, 307, 308, 404:
		return true
	}
	return false
}

func checkTarget(r Redirect) error {
	if strings.HasPrefix(r.To, "/") {
		if strings.HasPrefix(r.To, "//") {
			return fmt.Errorf("target %q: a path must not start with //", r.To)
		}
		return nil
	}
	u, err := url.Parse(r.To)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q is neither a path nor an http(s) URL", r.To)
	}
	if r.IsRewrite() {
		return fmt.Errorf("target %q: proxying to another host (status %d) is not supported", r.To, r.Status)
	}
	return nil
}

// Match returns the first rule matching path (the decoded request path,
// with its leading slash, without query string). With forced, only
// forced rules are considered, otherwise only the others.
func (rs *Redirects) Match(path string, forced bool) (Match, bool) {
	if rs == nil {
		return Match{}, false
	}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if r.Force != forced {
			continue
		}
		if vals, ok := r.from.match(path); ok {
			return Match{Rule: r, To: expand(r.To, vals)}, true
		}
	}
	return Match{}, false
}

// eachLine calls fn with each line of the first MaxFileSize bytes.
func eachLine(data []byte, fn func(n int, line string)) {
	if len(data) > MaxFileSize {
		data = data[:MaxFileSize]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize)
	n := 0
	for sc.Scan() {
		n++
		fn(n, strings.TrimSuffix(sc.Text(), "\r"))
	}
}
