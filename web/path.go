package web

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxKeyLength is the longest object key, as in S3 (bytes).
const MaxKeyLength = 1024

// Errors of KeyFromPath.
var (
	// ErrBadPath: the path is not a valid object key (bad escape, NUL or
	// other control character, invalid UTF-8, a "." or ".." segment).
	ErrBadPath = errors.New("invalid request path")
	// ErrKeyTooLong: the decoded key is longer than MaxKeyLength.
	ErrKeyTooLong = errors.New("request path too long")
)

// KeyFromPath turns an escaped request path (http.Request.URL.EscapedPath)
// into an object key: the leading "/" is dropped and percent-escapes are
// decoded exactly once, so "%2F" is a slash inside the key and "%252F" is
// the three characters "%2F". The key may be "" (the site root) or end in
// "/" (a folder); the caller appends the index document.
//
// A key is only ever a lookup in the bucket, so no path can reach another
// bucket; still, paths no browser sends are refused rather than guessed
// at: "." and ".." segments (whether written plainly or escaped), NUL and
// other control characters, and invalid UTF-8.
func KeyFromPath(escaped string) (string, error) {
	if !strings.HasPrefix(escaped, "/") {
		return "", ErrBadPath
	}
	if len(escaped) > 3*MaxKeyLength+1 { // cannot decode to a valid key
		return "", ErrKeyTooLong
	}
	key, err := url.PathUnescape(escaped[1:])
	if err != nil {
		return "", ErrBadPath
	}
	if len(key) > MaxKeyLength {
		return "", ErrKeyTooLong
	}
	if !utf8.ValidString(key) {
		return "", ErrBadPath
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return "", ErrBadPath
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return "", ErrBadPath
		}
	}
	return key, nil
}
