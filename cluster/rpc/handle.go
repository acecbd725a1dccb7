package rpc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// writeGrace is how long after the caller's deadline the server may
// still write its answer.
const writeGrace = time.Second

// serveHTTP runs one call: authenticate the caller from its certificate,
// observe its clock, read the body under the caller's deadline, run the
// handler, answer.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	observeClock(r.Header, s.clock)
	if r.TLS == nil {
		s.fail(w, http.StatusBadRequest, Errorf(CodeBadRequest, "not over TLS"))
		return
	}
	from, err := peerID(*r.TLS)
	if err != nil {
		s.fail(w, http.StatusForbidden, Errorf(CodeBadRequest, "%v", err))
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, pathPrefix)
	if !ok || r.Method != http.MethodPost || !validMethod(method) {
		s.fail(w, http.StatusBadRequest, Errorf(CodeBadRequest, "want POST %s<method>, got %s %s", pathPrefix, r.Method, r.URL.Path))
		return
	}

	timeout := timeoutOf(r.Header)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	deadline := time.Now().Add(timeout)
	rc := http.NewResponseController(w)
	// HTTP/2 supports both; nothing to do if not. The write deadline leaves
	// time to send a handler's "timeout" answer.
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline.Add(writeGrace))

	h := s.handler(method)
	if h == nil {
		s.fail(w, http.StatusNotFound, Errorf(CodeUnknownMethod, "no method %q", method))
		return
	}
	if r.ContentLength > MaxRequestBody {
		s.fail(w, http.StatusRequestEntityTooLarge, Errorf(CodeTooLarge, "request body of %d bytes, limit %d", r.ContentLength, MaxRequestBody))
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, MaxRequestBody), r.ContentLength, MaxRequestBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) || errors.Is(err, errTooLong) {
			s.fail(w, http.StatusRequestEntityTooLarge, Errorf(CodeTooLarge, "request body over the limit of %d bytes", MaxRequestBody))
			return
		}
		s.fail(w, http.StatusBadRequest, Errorf(CodeBadRequest, "read request body: %v", err))
		return
	}

	resp, err := h(ctx, from, body)
	if err != nil {
		e := asError(err)
		s.log.Debug("rpc: handler failed", "method", method, "from", from.Short(), "code", e.Code, "err", err)
		s.fail(w, http.StatusInternalServerError, e)
		return
	}
	if len(resp) > MaxResponseBody {
		s.log.Warn("rpc: response too large", "method", method, "from", from.Short(), "bytes", len(resp))
		s.fail(w, http.StatusInternalServerError, Errorf(CodeTooLarge, "response body of %d bytes, limit %d", len(resp), MaxResponseBody))
		return
	}
	setClock(w.Header(), s.clock)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(resp); err != nil {
		s.log.Debug("rpc: write response", "method", method, "from", from.Short(), "err", err)
	}
}

// asError is what the caller sees of a handler error.
func asError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeTimeout, Message: err.Error()}
	case errors.Is(err, context.Canceled):
		return &Error{Code: CodeCanceled, Message: err.Error()}
	default:
		return &Error{Code: CodeInternal, Message: err.Error()}
	}
}

// fail answers with e.
func (s *Server) fail(w http.ResponseWriter, status int, e *Error) {
	code, msg := e.Code, e.Message
	if !validMethod(code) { // codes travel in a header
		code, msg = CodeInternal, "(code "+strconv.Quote(code)+") "+msg
	}
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage]
	}
	setClock(w.Header(), s.clock)
	w.Header().Set(headerError, code)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
