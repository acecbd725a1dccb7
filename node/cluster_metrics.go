package node

import (
	"github.com/prometheus/client_golang/prometheus"
)

// clusterCollector exposes the cluster's health as this node sees it,
// computed at each scrape.
type clusterCollector struct {
	c                                    *clusterNode
	nodes, partitions, layoutVersion, rf *prometheus.Desc
	readVersion, versionsInUse           *prometheus.Desc
}

func newClusterCollector(c *clusterNode) *clusterCollector {
	return &clusterCollector{
		c:     c,
		nodes: prometheus.NewDesc("garageweb_cluster_nodes", "Nodes this node knows of, by state (up: gossip reaches it; down: it does not).", []string{"state"}, nil),
		partitions: prometheus.NewDesc("garageweb_cluster_partitions", "Partitions by availability: all (every replica up), quorum (a write quorum up), below_quorum (writes to them fail).",
			[]string{"state"}, nil),
		layoutVersion: prometheus.NewDesc("garageweb_cluster_layout_version", "Version of the applied cluster layout (0: none yet).", nil, nil),
		rf:            prometheus.NewDesc("garageweb_cluster_replication_factor", "Copies of each partition in the applied layout.", nil, nil),
		readVersion:   prometheus.NewDesc("garageweb_cluster_layout_read_version", "Layout version this node reads at (below the applied one while a layout change moves data).", nil, nil),
		versionsInUse: prometheus.NewDesc("garageweb_cluster_layout_versions_in_use", "Layout versions writes go to: 1, or more while a layout change moves data.", nil, nil),
	}
}

func (cc *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cc.nodes
	ch <- cc.partitions
	ch <- cc.layoutVersion
	ch <- cc.rf
	ch <- cc.readVersion
	ch <- cc.versionsInUse
}

func (cc *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	h := cc.c.health()
	ch <- prometheus.MustNewConstMetric(cc.nodes, prometheus.GaugeValue, float64(h.ConnectedNodes), "up")
	ch <- prometheus.MustNewConstMetric(cc.nodes, prometheus.GaugeValue, float64(h.KnownNodes-h.ConnectedNodes), "down")
	ch <- prometheus.MustNewConstMetric(cc.partitions, prometheus.GaugeValue, float64(h.PartitionsAllOk), "all")
	ch <- prometheus.MustNewConstMetric(cc.partitions, prometheus.GaugeValue, float64(h.PartitionsQuorum), "quorum")
	ch <- prometheus.MustNewConstMetric(cc.partitions, prometheus.GaugeValue, float64(h.Partitions-h.PartitionsQuorum), "below_quorum")
	l := cc.c.layout.Get()
	ch <- prometheus.MustNewConstMetric(cc.layoutVersion, prometheus.GaugeValue, float64(l.Version()))
	ch <- prometheus.MustNewConstMetric(cc.rf, prometheus.GaugeValue, float64(l.ReplicationFactor()))
	if l.Version() > 0 {
		ch <- prometheus.MustNewConstMetric(cc.readVersion, prometheus.GaugeValue, float64(l.ReadVersion(cc.c.ident.ID)))
		ch <- prometheus.MustNewConstMetric(cc.versionsInUse, prometheus.GaugeValue, float64(len(l.WriteVersions(cc.c.ident.ID))))
	}
}
