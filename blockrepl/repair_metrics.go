package blockrepl

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// counter is a count read both by Stats and by Prometheus.
type counter struct{ n atomic.Int64 }

func (c *counter) Inc()           { c.n.Add(1) }
func (c *counter) Add(x float64)  { c.n.Add(int64(x)) }
func (c *counter) value() int64   { return c.n.Load() }
func (c *counter) float() float64 { return float64(c.n.Load()) }

// repairMetrics counts what resync, scrub and the collector do.
type repairMetrics struct {
	r             *Resyncer
	resyncErrors  counter
	fetched       counter
	offloaded     counter
	scrubChecked  counter
	scrubCorrupt  counter
	scrubRepaired counter
	gcDeleted     counter
	gcOrphans     counter
	lastScrub     atomic.Int64 // unix ms, 0: unknown
}

func newRepairMetrics(r *Resyncer) *repairMetrics { return &repairMetrics{r: r} }

func (m *repairMetrics) setLastScrub(t time.Time) { m.lastScrub.Store(t.UnixMilli()) }

func (m *repairMetrics) register(reg prometheus.Registerer) error {
	cf := func(name, help string, c *counter) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, c.float)
	}
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "garageweb_block_resync_queue_length",
			Help: "Blocks waiting in this node's resync queue (0 once every block is where it belongs).",
		}, func() float64 {
			n, _ := m.r.cfg.Refs.ResyncLen()
			return float64(n)
		}),
		cf("garageweb_block_resync_errors_total", "Resync attempts that failed (retried with back-off).", &m.resyncErrors),
		cf("garageweb_block_resync_fetched_total", "Blocks fetched from another holder by resync or scrub.", &m.fetched),
		cf("garageweb_block_resync_offloaded_total", "Blocks handed over to their holders and deleted here.", &m.offloaded),
		cf("garageweb_scrub_checked_total", "Blocks re-read and checked by scrub.", &m.scrubChecked),
		cf("garageweb_scrub_corrupted_total", "Corrupt local blocks found by scrub.", &m.scrubCorrupt),
		cf("garageweb_scrub_repaired_total", "Corrupt blocks that scrub replaced by a good copy.", &m.scrubRepaired),
		cf("garageweb_block_gc_deleted_total", "Unreferenced blocks deleted once every holder agreed.", &m.gcDeleted),
		cf("garageweb_block_gc_orphans_total", "Block files without any reference entry swept.", &m.gcOrphans),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "garageweb_scrub_last_timestamp_seconds",
			Help: "When the last complete scrub finished (unix seconds; 0: not known yet).",
		}, func() float64 { return float64(m.lastScrub.Load()) / 1000 }),
	}
	var errs []error
	for _, c := range cs {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}

// ResyncStats are the totals since the node started, and the queue now.
type ResyncStats struct {
	QueueLength  int       `json:"queueLength"`
	Errors       int64     `json:"errors"`
	Fetched      int64     `json:"fetched"`
	Offloaded    int64     `json:"offloaded"`
	ScrubChecked int64     `json:"scrubChecked"`
	Corrupted    int64     `json:"corrupted"`
	Repaired     int64     `json:"repaired"`
	GCDeleted    int64     `json:"gcDeleted"`
	GCOrphans    int64     `json:"gcOrphans"`
	LastScrub    time.Time `json:"lastScrub,omitzero"`
	ResyncBytes  int64     `json:"resyncBytes"`
	ScrubBytes   int64     `json:"scrubBytes"`
}

// Stats returns the resyncer's totals.
func (r *Resyncer) Stats() (ResyncStats, error) {
	n, err := r.cfg.Refs.ResyncLen()
	st := ResyncStats{
		QueueLength: n, Errors: r.m.resyncErrors.value(), Fetched: r.m.fetched.value(), Offloaded: r.m.offloaded.value(),
		ScrubChecked: r.m.scrubChecked.value(), Corrupted: r.m.scrubCorrupt.value(), Repaired: r.m.scrubRepaired.value(),
		GCDeleted: r.m.gcDeleted.value(), GCOrphans: r.m.gcOrphans.value(),
		ResyncBytes: r.resyncLim.bytes(), ScrubBytes: r.scrubLim.bytes(),
	}
	if last, lerr := r.cfg.Refs.LastScrub(); lerr == nil {
		st.LastScrub = last
	} else {
		err = errors.Join(err, lerr)
	}
	return st, err
}
