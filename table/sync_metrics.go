package table

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// syncMetrics are the Prometheus metrics of a Syncer.
type syncMetrics struct {
	outOfSync   *prometheus.GaugeVec
	sent        *prometheus.CounterVec
	received    *prometheus.CounterVec
	unconverged *prometheus.CounterVec
	lastFull    prometheus.Gauge
	running     prometheus.Gauge
	errors      prometheus.Counter
}

func newSyncMetrics(r prometheus.Registerer) (*syncMetrics, error) {
	m := &syncMetrics{
		outOfSync: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "garageweb_table_sync_partitions_out_of_sync",
			Help: "Partitions of a table that differed from a replica at their last comparison and could not be made equal.",
		}, []string{"table"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_table_sync_entries_sent_total",
			Help: "Entries anti-entropy sent to other replicas.",
		}, []string{"table"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_table_sync_entries_received_total",
			Help: "Entries anti-entropy fetched from other replicas and merged.",
		}, []string{"table"}),
		unconverged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_table_sync_unconverged_total",
			Help: "Comparisons that still differed after their exchange (concurrent writes, or entries whose merge does not settle).",
		}, []string{"table"}),
		lastFull: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "garageweb_table_sync_last_full_sync_timestamp_seconds",
			Help: "End of the last anti-entropy pass that compared every partition without error (Unix time; 0: none yet).",
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "garageweb_table_sync_running",
			Help: "1 while an anti-entropy pass runs.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_table_sync_errors_total",
			Help: "Partition synchronisations with a replica that failed.",
		}),
	}
	if r == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.outOfSync, m.sent, m.received, m.unconverged, m.lastFull, m.running, m.errors} {
		if err := r.Register(c); err != nil {
			return nil, fmt.Errorf("register sync metrics: %w", err)
		}
	}
	return m, nil
}
