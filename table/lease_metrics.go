package table

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// leaseMetrics are the read-lease metrics of a node.
type leaseMetrics struct {
	reads   *prometheus.CounterVec
	revoked prometheus.Counter
}

func newLeaseMetrics(l *Leases, reg prometheus.Registerer) (*leaseMetrics, error) {
	m := &leaseMetrics{
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_table_reads_total",
			Help: "Table point reads of a replicated table, by table and by path: local (answered from this node's copy under a read lease) or quorum.",
		}, []string{"table", "path"}),
		revoked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_read_lease_revocations_total",
			Help: "Read leases this node revoked at a coordinator's request (the holder did not answer it).",
		}),
	}
	if reg == nil {
		return m, nil
	}
	partitions := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "garageweb_read_lease_partitions",
		Help: "Partitions this node currently answers reads of from its own copy (0 to 256).",
	}, func() float64 { return float64(l.ReadablePartitions()) })
	for _, c := range []prometheus.Collector{m.reads, m.revoked, partitions} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("read lease metrics: %w", err)
		}
	}
	return m, nil
}
