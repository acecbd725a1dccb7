package node

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/config"
	"github.com/garage-web/garage-web/table"
)

// leaseReplicationFactor is the only replication factor read leases serve:
// with 3 replicas and write quorums of 2, a grant from one other replica
// meets every write quorum without the holder, and two copies are a
// quorum (what the holder's catch-up sync and dirty marks rely on).
const leaseReplicationFactor = 3

// openLeases gives the local replica read leases when read_lease and
// consistency_mode allow them (nil otherwise). Every node that serves
// requests has them, gateways included: a gateway holds none, but it
// grants none either and follows the holders its replicas list.
func (c *clusterNode) openLeases(local *table.Local, sync func(ctx context.Context, p uint8, peers []cluster.NodeID) error, reg prometheus.Registerer) (*table.Leases, error) {
	d := c.cfg.ReadLease.D()
	if d <= 0 || c.cfg.ConsistencyMode != config.ConsistencyConsistent {
		return nil, nil
	}
	lz, err := table.NewLeases(table.LeaseConfig{
		Self:       c.ident.ID,
		Duration:   d,
		Caller:     c.peers,
		Peers:      c.leasePeers,
		Replicas:   c.leaseReplicas,
		Alive:      c.alive,
		Sync:       sync,
		Log:        c.log.With("part", "leases"),
		Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	local.SetLeases(lz)
	table.RegisterLeaseRPC(c.rpcSrv, lz)
	return lz, nil
}

// leasePeers are the nodes this node asks for leases: the other storage
// nodes of the applied layout, when this node is one of them.
func (c *clusterNode) leasePeers() []cluster.NodeID {
	l := c.layout.Get()
	nodes := l.StorageNodes()
	if !containsID(nodes, c.ident.ID) {
		return nil
	}
	out := make([]cluster.NodeID, 0, len(nodes))
	for _, id := range nodes {
		if id != c.ident.ID {
			out = append(out, id)
		}
	}
	return out
}

// leaseReplicas returns the replicas of partition p when leases apply to
// it: replication factor 3 and no layout change in progress as this node
// sees it (then every node has acknowledged the applied version, so every
// write is placed on its replica sets).
func (c *clusterNode) leaseReplicas(p uint8) ([]cluster.NodeID, uint64, bool) {
	l := c.layout.Get()
	if !c.leaseStable(l) {
		return nil, 0, false
	}
	return l.Replicas(p), l.Version(), true
}

// leaseLayout caches leaseStable's answer for one layout snapshot:
// it is asked on every read.
type leaseLayout struct {
	of     *cluster.Layout
	stable bool
}

// leaseStable reports whether leases apply under layout l.
func (c *clusterNode) leaseStable(l *cluster.Layout) bool {
	if ll := c.leaseLayout.Load(); ll != nil && ll.of == l {
		return ll.stable
	}
	v := l.Version()
	stable := v != 0 && l.ReplicationFactor() == leaseReplicationFactor && !l.InTransition(c.ident.ID) && l.ReadVersion(c.ident.ID) == v
	c.leaseLayout.Store(&leaseLayout{of: l, stable: stable})
	return stable
}
