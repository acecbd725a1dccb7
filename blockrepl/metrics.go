package blockrepl

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts what the replicated block store does.
type metrics struct {
	corruptRemote  prometheus.Counter
	quorumFailures prometheus.Counter
	fallbacks      prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		corruptRemote: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_block_corrupt_remote_total",
			Help: "Block copies from other nodes that failed their hash check (never served).",
		}),
		quorumFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_block_write_quorum_failures_total",
			Help: "Block writes that did not reach the write quorum.",
		}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_block_read_fallbacks_total",
			Help: "Block reads that moved on to the next replica (missing, corrupt or unreachable copy).",
		}),
	}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.corruptRemote, m.quorumFailures, m.fallbacks} {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}
