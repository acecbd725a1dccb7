package httpobject

import (
	"errors"
	"strconv"
	"strings"
)

// ErrUnsatisfiable means a Range header names no byte of the object.
var ErrUnsatisfiable = errors.New("range not satisfiable")

// Range is a byte range of an object: Length bytes from Start.
type Range struct {
	Start, Length int64
}

// ParseRange parses a Range header for an object of size bytes. It returns
// ok=false when the whole object should be served: no header, a syntax it
// does not understand (ignored, as RFC 9110 allows), or several ranges
// (served whole, which S3 also does). It returns ErrUnsatisfiable when
// the single range lies outside the object.
func ParseRange(header string, size int64) (r Range, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return Range{}, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return Range{}, false, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	switch {
	case first == "" && last == "":
		return Range{}, false, nil
	case first == "": // suffix: the last N bytes
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return Range{}, false, nil
		}
		if n == 0 || size == 0 {
			return Range{}, false, ErrUnsatisfiable
		}
		n = min(n, size)
		return Range{Start: size - n, Length: n}, true, nil
	}
	start, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || start < 0 {
		return Range{}, false, nil
	}
	end := size - 1
	if last != "" {
		e, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || e < start {
			return Range{}, false, nil
		}
		end = min(e, size-1)
	}
	if start >= size {
		return Range{}, false, ErrUnsatisfiable
	}
	return Range{Start: start, Length: end - start + 1}, true, nil
}

// ContentRange returns the Content-Range header value for r.
func (r Range) ContentRange(size int64) string {
	return "bytes " + strconv.FormatInt(r.Start, 10) + "-" + strconv.FormatInt(r.Start+r.Length-1, 10) + "/" + strconv.FormatInt(size, 10)
}
