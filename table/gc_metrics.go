package table

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// gcMetrics are the garageweb_table_gc_* metrics of a GC.
type gcMetrics struct {
	todo      prometheus.Gauge
	collected *prometheus.CounterVec
	compacted *prometheus.CounterVec
	postponed *prometheus.CounterVec
}

func newGCMetrics() gcMetrics {
	return gcMetrics{
		todo: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "garageweb_table_gc_todo",
			Help: "Entries waiting for garbage collection (tombstones and compactable entries) after the last pass.",
		}),
		collected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_table_gc_collected_total",
			Help: "Tombstones deleted by garbage collection, by table.",
		}, []string{"table"}),
		compacted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_table_gc_compacted_total",
			Help: "Entries replaced by their compacted form, by table.",
		}, []string{"table"}),
		postponed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "garageweb_table_gc_postponed_total",
			Help: "Garbage collection items postponed because a holder of their partition was down or did not answer, by table.",
		}, []string{"table"}),
	}
}

func (m gcMetrics) register(r prometheus.Registerer) error {
	return errors.Join(r.Register(m.todo), r.Register(m.collected), r.Register(m.compacted), r.Register(m.postponed))
}
