package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/garage-web/garage-web/table"
)

// General sentinel errors. A Backend wraps these, or the specific ones
// below, which are also these.
var (
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("conflict")
	ErrBadRequest = errors.New("bad request")
)

// Specific sentinel errors; each one also matches its general kind with
// errors.Is (ErrNoSuchBucket is an ErrNotFound).
var (
	ErrNoSuchAccessKey     error = &kindError{"no such access key", ErrNotFound}
	ErrNoSuchBucket        error = &kindError{"no such bucket", ErrNotFound}
	ErrKeyAlreadyExists    error = &kindError{"access key already exists", ErrConflict}
	ErrKeyNameInUse        error = &kindError{"another key has this name", ErrConflict}
	ErrBucketAlreadyExists error = &kindError{"bucket already exists", ErrConflict}
	ErrBucketNotEmpty      error = &kindError{"bucket is not empty", ErrConflict}
	ErrInvalidBucketName   error = &kindError{"invalid bucket name", ErrBadRequest}
	// ErrNoSuchNode is a node id that the cluster does not know, in a
	// request that names it (400: the request is wrong, not a path).
	ErrNoSuchNode error = &kindError{"no such node", ErrBadRequest}
	// ErrNotImplemented is an operation the node cannot do yet.
	ErrNotImplemented = errors.New("not implemented")

	// ErrUnauthorized: no token was given. ErrForbidden: a wrong one.
	ErrUnauthorized = errors.New("missing Bearer token")
	ErrForbidden    = errors.New("invalid token")
	// ErrNotReady is the node not being able to serve yet.
	ErrNotReady = errors.New("node not ready")
	// ErrDegraded is a node that serves, but not fully (a full disk):
	// /health answers 503 with status "degraded".
	ErrDegraded = errors.New("node degraded")

	errNoSuchOperation  = &kindError{"unknown admin API operation", ErrNotFound}
	errMethodNotAllowed = errors.New("method not allowed")
)

// kindError is a sentinel that is also a more general one.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// errorTable maps sentinels to status and code. The first entry that
// errors.Is matches wins, so specific errors come before general ones.
var errorTable = []struct {
	err    error
	status int
	code   string
}{
	{ErrNoSuchAccessKey, http.StatusNotFound, "NoSuchAccessKey"},
	{ErrNoSuchBucket, http.StatusNotFound, "NoSuchBucket"},
	{errNoSuchOperation, http.StatusNotFound, "NoSuchOperation"},
	{ErrNotFound, http.StatusNotFound, "NotFound"},
	{ErrKeyAlreadyExists, http.StatusConflict, "KeyAlreadyExists"},
	{ErrKeyNameInUse, http.StatusConflict, "KeyNameInUse"},
	{ErrBucketAlreadyExists, http.StatusConflict, "BucketAlreadyExists"},
	{ErrBucketNotEmpty, http.StatusConflict, "BucketNotEmpty"},
	{ErrConflict, http.StatusConflict, "Conflict"},
	{ErrInvalidBucketName, http.StatusBadRequest, "InvalidBucketName"},
	{ErrNoSuchNode, http.StatusBadRequest, "NoSuchNode"},
	{ErrBadRequest, http.StatusBadRequest, "InvalidRequest"},
	{ErrUnauthorized, http.StatusUnauthorized, "Unauthorized"},
	{ErrForbidden, http.StatusForbidden, "AccessDenied"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "MethodNotAllowed"},
	{ErrNotReady, http.StatusServiceUnavailable, "ServiceUnavailable"},
	{ErrDegraded, http.StatusServiceUnavailable, "ServiceUnavailable"},
	{table.ErrQuorum, http.StatusServiceUnavailable, "ServiceUnavailable"},
	{ErrNotImplemented, http.StatusNotImplemented, "NotImplemented"},
}

const internalErrorCode = "InternalError"

// requestError is an error whose message is written for the client and
// which matches a sentinel.
type requestError struct {
	kind error
	msg  string
}

func (e *requestError) Error() string { return e.msg }
func (e *requestError) Unwrap() error { return e.kind }

func newError(kind error, format string, args ...any) error {
	return &requestError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return newError(ErrBadRequest, format, args...)
}

// writeError is the one place that turns an error into a response.
// Unknown errors are logged with the request id and answered 500 without
// their text.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	resp := ErrorResponse{Code: internalErrorCode, Path: r.URL.Path}
	status := http.StatusInternalServerError
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			status, resp.Code, resp.Message = e.status, e.code, err.Error()
			break
		}
	}
	if status == http.StatusInternalServerError {
		reqID := middleware.GetReqID(r.Context())
		resp.Message = "internal error (request id " + reqID + ")"
		level := slog.LevelError
		if errors.Is(err, context.Canceled) {
			level = slog.LevelDebug // the client went away
		}
		log.Log(r.Context(), level, "admin API error", "path", r.URL.Path, "request_id", reqID, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="garage-web admin"`)
	}
	writeJSON(w, status, resp)
}

// writeJSON writes v with the given status. An encoding failure can only
// be a bug in this package; it is too late to change the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"InternalError","message":"cannot encode response","path":""}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// APIError is an error response received by the Client. errors.Is
// matches it against the sentinel its code stands for
// (errors.Is(err, ErrNoSuchBucket), errors.Is(err, ErrNotFound)).
type APIError struct {
	StatusCode int
	ErrorResponse
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("admin API: %s (HTTP %d)", e.Code, e.StatusCode)
	}
	return e.Message
}

// Unwrap returns the sentinel of e's code, or nil.
func (e *APIError) Unwrap() error {
	for _, t := range errorTable {
		if t.code == e.Code {
			return t.err
		}
	}
	return nil
}
