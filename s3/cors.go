package s3

import (
	"net/http"

	"github.com/garage-web/garage-web/bucketconfig"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
)

// preflight answers a CORS preflight (OPTIONS) from the bucket's rules.
// Preflights carry no credentials.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, req *request) error {
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return s3err.WithMessage(s3err.ErrInvalidRequest, "Insufficient information. Origin request header needed.")
	}
	b, err := s.model.ResolveBucket(r.Context(), req.bucketName)
	if err != nil {
		return err
	}
	if b.CORS.Value == "" {
		return s3err.WithMessage(s3err.ErrAccessForbidden, "CORSResponse: CORS is not enabled for this bucket.")
	}
	if !CORSPreflight(w, r, b) {
		return s3err.WithMessage(s3err.ErrAccessForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// CORSPreflight writes the preflight answer headers for bucket b and
// reports whether a rule allowed the request. The web endpoint uses it too.
func CORSPreflight(w http.ResponseWriter, r *http.Request, b model.Bucket) bool {
	if b.CORS.Value == "" {
		return false
	}
	c, err := bucketconfig.ParseCORS([]byte(b.CORS.Value))
	if err != nil {
		return false
	}
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	headers := bucketconfig.RequestHeaders(r.Header.Get("Access-Control-Request-Headers"))
	rule, ok := c.Match(origin, method, headers)
	if !ok {
		return false
	}
	rule.SetHeaders(w.Header(), origin, true, method, headers)
	return true
}

// SetCORSHeaders adds CORS headers to an actual (non-preflight) request
// with an Origin that a rule of bucket b allows.
func SetCORSHeaders(w http.ResponseWriter, r *http.Request, b model.Bucket) {
	origin := r.Header.Get("Origin")
	if origin == "" || b.CORS.Value == "" {
		return
	}
	c, err := bucketconfig.ParseCORS([]byte(b.CORS.Value))
	if err != nil {
		return
	}
	if rule, ok := c.Match(origin, r.Method, nil); ok {
		rule.SetHeaders(w.Header(), origin, false, r.Method, nil)
	}
}

func (s *Server) setCORSHeaders(w http.ResponseWriter, r *http.Request, b model.Bucket) {
	SetCORSHeaders(w, r, b)
}
