package admin

import (
	"errors"
	"net/http"
	"strings"
)

// GET /health: 200 when the node is ready, 503 otherwise (status
// "degraded" when the backend says ErrDegraded, such as a full disk;
// "unavailable" else). No token.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.Ready(r.Context()); err != nil {
		st := HealthStatus{Status: "unavailable", Message: err.Error()}
		if errors.Is(err, ErrDegraded) {
			st.Status, st.Message = "degraded", strings.TrimSuffix(err.Error(), ": "+ErrDegraded.Error())
		}
		writeJSON(w, http.StatusServiceUnavailable, st)
		return nil
	}
	writeJSON(w, http.StatusOK, HealthStatus{Status: "healthy"})
	return nil
}

// GET /metrics: the Prometheus registry.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.metrics == nil {
		return newError(ErrNotFound, "no metrics registry")
	}
	s.metrics.ServeHTTP(w, r)
	return nil
}

// GET /v2/GetNodeInfo
func (s *Server) getNodeInfo(w http.ResponseWriter, r *http.Request) error {
	info, err := s.backend.NodeInfo(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}
