package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/table"
)

// openTableGC serves the GC protocol to peers and returns the collector
// of this node's tombstones: each is removed once every holder of its
// partition (in every layout version in use) has it, gc_delay after it
// was written.
func (c *clusterNode) openTableGC(local *table.Local, reg prometheus.Registerer) (*table.GC, error) {
	table.RegisterGCRPC(c.rpcSrv, local)
	return table.NewGC(table.GCConfig{
		Self:       c.ident.ID,
		Local:      local,
		Caller:     c.peers,
		Alive:      c.alive,
		Holders:    c.holders,
		Delay:      c.cfg.GCDelay.D(),
		Log:        c.log.With("part", "gc"),
		Registerer: reg,
	})
}
