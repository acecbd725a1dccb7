package rpc

import (
	"net/http"
	"strconv"
	"time"
)

// Limits and defaults of a call.
const (
	// MaxRequestBody is the largest request body a server reads (64 MiB);
	// larger requests are refused with CodeTooLarge.
	MaxRequestBody = 64 << 20
	// MaxResponseBody is the largest response body a client reads (64 MiB).
	MaxResponseBody = 64 << 20
	// DefaultTimeout bounds a call whose context has no deadline.
	DefaultTimeout = 30 * time.Second
	// MaxTimeout caps the deadline a caller may ask a server to honour.
	MaxTimeout = 10 * time.Minute
	// maxErrorMessage bounds the message of an error response.
	maxErrorMessage = 64 << 10
)

// The wire format: POST pathPrefix+method, body as is. The answer is 200
// with the result as body, or an error status with the code in
// headerError and the message as body.
const (
	pathPrefix    = "/rpc/"
	headerTimeout = "Garage-Web-Timeout-Ms" // caller's remaining time, decimal milliseconds
	headerClock   = "Garage-Web-Clock"      // sender's hybrid timestamp, decimal milliseconds
	headerError   = "Garage-Web-Error"      // error code of a failed call
)

// Clock is the node's hybrid clock (table/crdt.Clock satisfies it): Now
// reads it, Observe advances it past a timestamp seen from a peer. Both
// must be safe for concurrent use.
type Clock interface {
	Now() uint64
	Observe(ts uint64)
}

func setClock(h http.Header, c Clock) { h.Set(headerClock, strconv.FormatUint(c.Now(), 10)) }

func observeClock(h http.Header, c Clock) {
	if ts, err := strconv.ParseUint(h.Get(headerClock), 10, 64); err == nil {
		c.Observe(ts)
	}
}

// timeoutOf reads the caller's deadline from a request: DefaultTimeout
// when missing or malformed, never more than MaxTimeout.
func timeoutOf(h http.Header) time.Duration {
	ms, err := strconv.ParseInt(h.Get(headerTimeout), 10, 64)
	if err != nil || ms <= 0 {
		return DefaultTimeout
	}
	if ms > MaxTimeout.Milliseconds() {
		return MaxTimeout
	}
	return time.Duration(ms) * time.Millisecond
}

// validMethod reports whether name can be a method: 1 to 128 characters
// of [A-Za-z0-9._-].
func validMethod(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
