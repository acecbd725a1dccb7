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
	if !bucketconfig.Preflight(w.Header(), r, b.CORS.Value) {
		return s3err.WithMessage(s3err.ErrAccessForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) setCORSHeaders(w http.ResponseWriter, r *http.Request, b model.Bucket) {
	bucketconfig.SetCORSHeaders(w.Header(), r, b.CORS.Value)
}
