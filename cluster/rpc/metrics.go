package rpc

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// clientMetrics are the caller's view of its peers. A nil *clientMetrics
// records nothing.
type clientMetrics struct {
	latency *prometheus.HistogramVec
	errors  *prometheus.CounterVec
}

func newClientMetrics(reg prometheus.Registerer) (*clientMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &clientMetrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "garageweb_rpc_call_duration_seconds",
			Help:    "Latency of RPC calls answered by a peer, by method and peer (short node id).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"method", "peer"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_rpc_errors_total",
			Help: "Failed RPC calls by peer (short node id) and kind: unreachable (no answer) or remote (the handler failed).",
		}, []string{"peer", "kind"}),
	}
	var err error
	if m.latency, err = register(reg, m.latency); err != nil {
		return nil, err
	}
	if m.errors, err = register(reg, m.errors); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered
// under its name (several clients may share one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *clientMetrics) observe(method string, peer cluster.NodeID, d time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(method, peer.Short()).Observe(d.Seconds())
	}
}

func (m *clientMetrics) failed(peer cluster.NodeID, err error) {
	if m == nil {
		return
	}
	kind := "remote"
	if errors.Is(err, ErrUnreachable) {
		kind = "unreachable"
	}
	m.errors.WithLabelValues(peer.Short(), kind).Inc()
}

// serverMetrics count connections refused at the handshake: processes
// without the secret, or broken peers.
type serverMetrics struct {
	handshakeFailures prometheus.Counter
}

func newServerMetrics(reg prometheus.Registerer) (*serverMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	c, err := register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "garageweb_rpc_handshake_failures_total",
		Help: "Connections to the RPC port refused during the TLS handshake (no valid cluster certificate, timeout, not TLS).",
	}))
	if err != nil {
		return nil, err
	}
	return &serverMetrics{handshakeFailures: c}, nil
}

func (m *serverMetrics) handshakeFailed() {
	if m != nil {
		m.handshakeFailures.Inc()
	}
}
