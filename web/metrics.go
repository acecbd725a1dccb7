package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// noSite is the site label of requests whose Host names no website: one
// label value for all of them keeps the cardinality bounded.
const noSite = "-"

// metrics are the web endpoint's Prometheus metrics, labelled by site.
type metrics struct {
	requests *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// Nix caches: narinfo lookups by result (hit, miss) and NAR bytes
	// served, by site.
	narinfos *prometheus.CounterVec
	narBytes *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_web_requests_total",
			Help: "Web endpoint requests by site (bucket name, \"-\" for hosts that are no website) and HTTP status.",
		}, []string{"site", "status"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_web_response_bytes_total",
			Help: "Bytes sent in web endpoint response bodies, by site.",
		}, []string{"site"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "garageweb_web_request_duration_seconds",
			Help:    "Web endpoint request latency (until the last byte), by site.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"site"}),
		narinfos: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_nix_cache_narinfo_requests_total",
			Help: "Nix cache narinfo GET/HEAD requests by site and result (hit: 200, miss: 404).",
		}, []string{"site", "result"}),
		narBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_nix_cache_nar_bytes_total",
			Help: "Bytes of NARs (keys under nar/) served, by site.",
		}, []string{"site"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.bytesOut, m.latency, m.narinfos, m.narBytes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// recorder remembers the status and counts the body bytes of a response.
// It deliberately implements no io.ReaderFrom, so every byte goes through
// Write and is counted.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Flush lets streaming writers flush through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe counts a finished request and writes its access log line. It
// runs deferred, so also when the handler aborts the connection (panic).
func (s *Server) observe(r *http.Request, rec *recorder, label string, d time.Duration) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.requests.WithLabelValues(label, strconv.Itoa(status)).Inc()
	s.metrics.bytesOut.WithLabelValues(label).Add(float64(rec.bytes))
	s.metrics.latency.WithLabelValues(label).Observe(d.Seconds())
	if label != noSite && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, ".narinfo") && status == http.StatusOK:
			s.metrics.narinfos.WithLabelValues(label, "hit").Inc()
			s.narStats.seen(label)
		case strings.HasSuffix(p, ".narinfo") && status == http.StatusNotFound:
			s.metrics.narinfos.WithLabelValues(label, "miss").Inc()
			s.narStats.seen(label)
		case strings.HasPrefix(p, "/nar/"):
			s.metrics.narBytes.WithLabelValues(label).Add(float64(rec.bytes))
			s.narStats.seen(label)
		}
	}
	if !s.cfg.AccessLog {
		return
	}
	s.log.Info("web request",
		"site", label,
		"method", r.Method,
		"host", clipString(r.Host, 256),
		"path", clipString(r.URL.EscapedPath(), 256),
		"status", status,
		"bytes", rec.bytes,
		"duration_ms", float64(d.Microseconds())/1000,
		"remote", r.RemoteAddr,
		"user_agent", clipString(r.UserAgent(), 256),
	)
}
