package table

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// ClusterPlacementConfig is what a ClusterPlacement needs to know of the
// cluster. The funcs are called on every request: they must be cheap and
// safe for concurrent use (read from the current layout and membership).
type ClusterPlacementConfig struct {
	// Self is this node's id and Local its replica of every table.
	Self  cluster.NodeID
	Local *Local
	// Replicas returns the ids of the nodes that hold a partition, from
	// the current layout.
	Replicas func(partition uint8) []cluster.NodeID
	// Alive reports whether a node is up as far as membership knows.
	Alive func(cluster.NodeID) bool
	// Proximity returns a node's zone and measured round-trip time (0 if
	// unknown). Optional: without it, replicas keep the layout's order.
	Proximity func(cluster.NodeID) (zone string, rtt time.Duration)
	// ReadQuorum and WriteQuorum are the quorums (from the replication
	// factor and consistency mode). They are never lowered: with fewer
	// replicas than the quorum, operations fail with ErrQuorum.
	ReadQuorum, WriteQuorum int
	// Caller reaches the other nodes. Node, if set, replaces the default
	// way to get a Node for an id (Local for Self, a Remote over Caller
	// for the others).
	Caller Caller
	Node   func(cluster.NodeID) Node
}

// unknownRTT ranks nodes whose round-trip time is not measured yet after
// the measured ones.
const unknownRTT = time.Hour

// ClusterPlacement places partitions on the nodes of the layout.
type ClusterPlacement struct {
	cfg     ClusterPlacementConfig
	mu      sync.Mutex
	remotes map[cluster.NodeID]Node
}

var _ Placement = (*ClusterPlacement)(nil)

// NewClusterPlacement returns the placement of cfg.
func NewClusterPlacement(cfg ClusterPlacementConfig) (*ClusterPlacement, error) {
	switch {
	case cfg.Local == nil:
		return nil, fmt.Errorf("cluster placement: no local node")
	case cfg.Replicas == nil || cfg.Alive == nil:
		return nil, fmt.Errorf("cluster placement: Replicas and Alive are required")
	case cfg.Node == nil && cfg.Caller == nil:
		return nil, fmt.Errorf("cluster placement: Caller or Node is required")
	case cfg.ReadQuorum < 1 || cfg.WriteQuorum < 1:
		return nil, fmt.Errorf("cluster placement: quorums %d/%d, want at least 1", cfg.ReadQuorum, cfg.WriteQuorum)
	}
	return &ClusterPlacement{cfg: cfg, remotes: map[cluster.NodeID]Node{}}, nil
}

// ReadQuorum implements Placement.
func (p *ClusterPlacement) ReadQuorum() int { return p.cfg.ReadQuorum }

// WriteQuorum implements Placement.
func (p *ClusterPlacement) WriteQuorum() int { return p.cfg.WriteQuorum }

// Nodes implements Placement: the partition's replicas, the local node
// first, then live nodes of the local zone, then other live nodes by
// increasing round-trip time, then the nodes that are down. A node that is
// down is listed (so that it counts against the quorum) but never asked:
// its operations fail at once with ErrNodeDown.
func (p *ClusterPlacement) Nodes(h PartitionHash) []Node {
	return p.NodesOf(p.cfg.Replicas(h.Partition()))
}

// NodesOf returns the Nodes of ids in order of preference, as Nodes does
// for a partition's replicas.
func (p *ClusterPlacement) NodesOf(ids []cluster.NodeID) []Node {
	ids = p.Order(ids)
	out := make([]Node, 0, len(ids))
	for _, id := range ids {
		if !p.alive(id) {
			out = append(out, downNode{id})
			continue
		}
		out = append(out, p.node(id))
	}
	return out
}

// Order returns a copy of ids in order of preference (see Nodes).
func (p *ClusterPlacement) Order(ids []cluster.NodeID) []cluster.NodeID {
	type cand struct {
		id        cluster.NodeID
		rank      int // 0 self, 1 live same zone, 2 live, 3 down
		rtt       time.Duration
		layoutPos int
	}
	selfZone := ""
	if p.cfg.Proximity != nil {
		selfZone, _ = p.cfg.Proximity(p.cfg.Self)
	}
	cs := make([]cand, len(ids))
	for i, id := range ids {
		c := cand{id: id, layoutPos: i, rank: 2}
		var zone string
		if p.cfg.Proximity != nil {
			zone, c.rtt = p.cfg.Proximity(id)
		}
		if c.rtt <= 0 {
			c.rtt = unknownRTT
		}
		switch {
		case id == p.cfg.Self:
			c.rank = 0
		case !p.alive(id):
			c.rank = 3
		case p.cfg.Proximity != nil && zone == selfZone:
			c.rank = 1
		}
		cs[i] = c
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.rtt != b.rtt {
			return a.rtt < b.rtt
		}
		return a.layoutPos < b.layoutPos
	})
	out := make([]cluster.NodeID, len(cs))
	for i, c := range cs {
		out[i] = c.id
	}
	return out
}

func (p *ClusterPlacement) alive(id cluster.NodeID) bool {
	return id == p.cfg.Self || p.cfg.Alive(id)
}

// node returns the Node for id, reusing Remotes.
func (p *ClusterPlacement) node(id cluster.NodeID) Node {
	if p.cfg.Node != nil {
		return p.cfg.Node(id)
	}
	if id == p.cfg.Self {
		return p.cfg.Local
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n, ok := p.remotes[id]
	if !ok {
		n = NewRemote(id, p.cfg.Caller)
		p.remotes[id] = n
	}
	return n
}

// downNode stands for a replica that membership says is down.
type downNode struct{ id cluster.NodeID }

func (d downNode) ID() string { return d.id.String() }

func (d downNode) err() error { return fmt.Errorf("node %s: %w", d.id.Short(), ErrNodeDown) }

func (d downNode) Update(context.Context, string, [][]byte) ([]uint64, error) { return nil, d.err() }

func (d downNode) Get(context.Context, string, []byte, []byte) ([]byte, error) { return nil, d.err() }

func (d downNode) Range(context.Context, string, []byte, RangeQuery) ([][]byte, error) {
	return nil, d.err()
}
