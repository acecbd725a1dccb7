package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// storageMetrics exposes the local storage's state.
type storageMetrics struct {
	corrupt prometheus.Counter
	refs    *storage.RefCounts
	db      *storage.DB
	queue   *table.Queue
}

func newStorageMetrics(reg prometheus.Registerer) (*storageMetrics, error) {
	m := &storageMetrics{
		corrupt: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "garageweb_block_corrupt_total",
			Help: "Blocks that failed their hash check when read (never served).",
		}),
	}
	gauges := []prometheus.Collector{
		m.corrupt,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "garageweb_blocks_stored", Help: "Data blocks in use on this node."}, func() float64 {
			if m.refs == nil {
				return 0
			}
			n, _, _ := m.refs.Stats()
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "garageweb_blocks_bytes", Help: "Size of the data blocks in use on this node, before compression."}, func() float64 {
			if m.refs == nil {
				return 0
			}
			_, b, _ := m.refs.Stats()
			return float64(b)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "garageweb_metadata_bytes", Help: "Size of the metadata database file."}, func() float64 {
			if m.db == nil {
				return 0
			}
			return float64(m.db.Size())
		}),
	}
	for _, state := range []string{"pending", "retrying", "poisoned"} {
		gauges = append(gauges, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "garageweb_queue_tasks",
			Help:        "Background tasks queued (block references, data release), by state: pending (not failed yet), retrying (failed, waiting for a retry), poisoned (failed too often or of an unknown kind: kept, retried rarely).",
			ConstLabels: prometheus.Labels{"state": state},
		}, func() float64 {
			if m.queue == nil {
				return 0
			}
			s := m.queue.Stats()
			switch state {
			case "pending":
				return float64(s.Pending)
			case "retrying":
				return float64(s.Retrying)
			}
			return float64(s.Poisoned)
		}))
	}
	for _, c := range gauges {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
