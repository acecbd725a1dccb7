package s3

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the S3 front end's Prometheus metrics.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytesOut prometheus.Counter
	bytesIn  prometheus.Counter
	errors   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_s3_requests_total", Help: "S3 requests by operation and HTTP status.",
		}, []string{"op", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "garageweb_s3_request_duration_seconds", Help: "S3 request latency by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"op"}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_s3_response_bytes_total", Help: "Bytes sent in S3 response bodies.",
		}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_s3_request_bytes_total", Help: "Object bytes received by S3 writes.",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_s3_errors_total", Help: "S3 error responses by operation and error code.",
		}, []string{"op", "code"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.bytesOut, m.bytesIn, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observe(op Operation, status int, d time.Duration, bytesOut int64) {
	m.requests.WithLabelValues(string(op), strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(string(op)).Observe(d.Seconds())
	m.bytesOut.Add(float64(bytesOut))
}
