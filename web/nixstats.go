package web

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// narStatsTTL is how long a count of a cache's NARs is reused: counting
// lists every key under nar/, too much for every scrape.
const narStatsTTL = 5 * time.Minute

// narStatsTimeout bounds one count during a scrape.
const narStatsTimeout = 5 * time.Second

// narStats exports the NARs stored in each Nix cache that served a Nix
// request since the node started (garageweb_nix_cache_nars_stored and
// garageweb_nix_cache_nar_stored_bytes), counted at most every
// narStatsTTL. A count that fails keeps the last one.
type narStats struct {
	store      Store
	nars, size *prometheus.Desc
	now        func() time.Time

	mu    sync.Mutex
	sites map[string]narCount // by site (bucket name)
}

type narCount struct {
	nars, bytes int64
	at          time.Time // zero: never counted
}

func newNarStats(store Store) *narStats {
	return &narStats{
		store: store,
		nars:  prometheus.NewDesc("garageweb_nix_cache_nars_stored", "NARs (keys under nar/) stored in a Nix cache, by site; counted at most every 5 minutes.", []string{"site"}, nil),
		size:  prometheus.NewDesc("garageweb_nix_cache_nar_stored_bytes", "Bytes of the NARs stored in a Nix cache, by site.", []string{"site"}, nil),
		now:   time.Now,
		sites: map[string]narCount{},
	}
}

// seen records that site serves a Nix cache.
func (n *narStats) seen(site string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.sites[site]; !ok {
		n.sites[site] = narCount{}
	}
}

// Describe implements prometheus.Collector.
func (n *narStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- n.nars
	ch <- n.size
}

// Collect implements prometheus.Collector: it counts the caches whose
// count is older than narStatsTTL, then reports every counted one.
func (n *narStats) Collect(ch chan<- prometheus.Metric) {
	n.mu.Lock()
	var stale []string
	for site, c := range n.sites {
		if c.at.IsZero() || n.now().Sub(c.at) >= narStatsTTL {
			stale = append(stale, site)
		}
	}
	n.mu.Unlock()
	for _, site := range stale {
		ctx, cancel := context.WithTimeout(context.Background(), narStatsTimeout)
		c, err := n.count(ctx, site)
		cancel()
		if err != nil {
			continue
		}
		n.mu.Lock()
		n.sites[site] = c
		n.mu.Unlock()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for site, c := range n.sites {
		if c.at.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(n.nars, prometheus.GaugeValue, float64(c.nars), site)
		ch <- prometheus.MustNewConstMetric(n.size, prometheus.GaugeValue, float64(c.bytes), site)
	}
}

func (n *narStats) count(ctx context.Context, site string) (narCount, error) {
	b, err := n.store.ResolveBucket(ctx, site)
	if err != nil {
		return narCount{}, err
	}
	nars, bytes, err := n.store.CountPrefix(ctx, b.ID, "nar/")
	if err != nil {
		return narCount{}, err
	}
	return narCount{nars: nars, bytes: bytes, at: n.now()}, nil
}
