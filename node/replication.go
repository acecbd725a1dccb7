package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/blockrepl"
	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// replicated are the parts of the model that follow the layout: where
// table entries and blocks go, and where decisions are serialised.
type replicated struct {
	placement table.Placement
	locker    table.Locker
	blocks    *blockrepl.Store
}

var _ model.Blocks = (*blockrepl.Store)(nil)

// readQuorum is the read quorum of the version this node reads at, and
// writeQuorum that of the applied version (the configured replication
// factor before any layout), in the configured consistency_mode.
func (c *clusterNode) readQuorum() int {
	l := c.layout.Get()
	if l.Version() == 0 {
		r, _ := quorums(c.cfg.ReplicationFactor, c.cfg.ConsistencyMode)
		return r
	}
	r, _ := c.versionQuorums(l, l.ReadVersion(c.ident.ID))
	return r
}

func (c *clusterNode) writeQuorum() int {
	_, w := quorums(c.replicationFactor(), c.cfg.ConsistencyMode)
	return w
}

func (c *clusterNode) replicationFactor() int {
	if l := c.layout.Get(); l.Version() > 0 {
		return l.ReplicationFactor()
	}
	return c.cfg.ReplicationFactor
}

// replicas returns the nodes of partition p in the version this node
// reads at (none before the first layout is applied: every write then
// fails with a quorum error, answered 503).
func (c *clusterNode) replicas(p uint8) []cluster.NodeID {
	l := c.layout.Get()
	if l.Version() == 0 {
		return nil
	}
	return replicasAt(l, l.ReadVersion(c.ident.ID), p)
}

// currentReplicas returns the nodes of partition p in the applied
// version.
func (c *clusterNode) currentReplicas(p uint8) []cluster.NodeID { return c.layout.Get().Replicas(p) }

// proximity is a node's zone and measured round trip (0 if unknown).
func (c *clusterNode) proximity(id cluster.NodeID) (string, time.Duration) {
	rtt, _ := c.peers.RTT(id)
	return c.zone(id), rtt
}

// layoutPlacement is the table placement whose quorums follow the
// applied layout.
type layoutPlacement struct {
	*table.ClusterPlacement
	c *clusterNode
}

func (p layoutPlacement) ReadQuorum() int  { return p.c.readQuorum() }
func (p layoutPlacement) WriteQuorum() int { return p.c.writeQuorum() }

// wireTables serves the local tables, locks and blocks to the other
// nodes and returns the placement, locker and block store the model uses.
func (c *clusterNode) wireTables(local *table.Local, blocks *storage.BlockStore, reg prometheus.Registerer) (replicated, error) {
	table.RegisterRPC(c.rpcSrv, local)
	blockrepl.Register(c.rpcSrv, blocks, c.log.With("part", "blocks"))
	locks := table.NewLockServer(nil)
	locks.Register(c.rpcSrv)
	cp, err := table.NewClusterPlacement(table.ClusterPlacementConfig{
		Self:      c.ident.ID,
		Local:     local,
		Replicas:  c.replicas,
		Alive:     c.alive,
		Proximity: c.proximity,
		// Placeholders: layoutPlacement answers the quorums.
		ReadQuorum: 1, WriteQuorum: 1,
		Caller: c.peers,
	})
	if err != nil {
		return replicated{}, err
	}
	locker, err := table.NewClusterLocker(table.ClusterLockerConfig{
		Self:   c.ident.ID,
		Server: locks,
		Caller: c.peers,
		// The applied version's replicas: nodes agree on it as soon as a
		// layout has spread (a second), while their read versions differ
		// for the whole of a layout change.
		Replicas: c.currentReplicas,
		Alive:    c.alive,
		Log:      c.log.With("part", "locks"),
	})
	if err != nil {
		return replicated{}, err
	}
	store := blockrepl.New(blockrepl.Config{
		Node:   c.ident.ID,
		Local:  blocks,
		Caller: c.peers,
		// Reads try the read version's replicas first, then every other
		// holder: a block written before a layout change may be only on
		// the old replicas, or already only on the new ones.
		Replicas: func(h storage.Hash) []cluster.NodeID {
			return c.holders(blockrepl.Partition(h))
		},
		WriteQuorum: c.writeQuorum,
		WriteSets:   c.blockWriteSets,
		Alive:       c.alive,
		Zone:        c.zone,
		RTT:         c.peers.RTT,
		Log:         c.log.With("part", "blocks"),
		Registerer:  reg,
	})
	return replicated{placement: layoutPlacement{cp, c}, locker: locker, blocks: store}, nil
}
