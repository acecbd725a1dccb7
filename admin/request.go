package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// decodeBody reads the JSON request body into v. Unknown fields and
// trailing data are errors, so a typo is not silently ignored. An empty
// body leaves v unchanged when emptyOK.
func decodeBody(r *http.Request, v any, emptyOK bool) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	switch {
	case errors.Is(err, io.EOF):
		if emptyOK {
			return nil
		}
		return badRequest("missing JSON request body")
	case err != nil:
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return badRequest("request body larger than %d bytes", tooLarge.Limit)
		}
		return badRequest("invalid JSON request body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid JSON request body: data after the JSON value")
	}
	return nil
}

// queryParam returns the required query parameter name.
func queryParam(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return "", badRequest("missing query parameter %q", name)
	}
	return v, nil
}

// oneQueryParam returns the name and value of the single parameter given
// among names.
func oneQueryParam(r *http.Request, names ...string) (name, value string, err error) {
	q := r.URL.Query()
	for _, n := range names {
		if v := q.Get(n); v != "" {
			if name != "" {
				return "", "", badRequest("query parameters %q and %q cannot be used together", name, n)
			}
			name, value = n, v
		}
	}
	if name == "" {
		return "", "", badRequest("one of the query parameters %q is required", names)
	}
	return name, value, nil
}

// boolParam parses an optional boolean query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("query parameter %q: %q is not true or false", name, v)
	}
	return b, nil
}
