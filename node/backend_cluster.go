package node

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/cluster"
)

// The admin API's cluster operations, over the node's layout and
// membership.

func (b *backend) cl() *clusterNode { return b.n.cluster }

func (b *backend) ClusterStatus(ctx context.Context) (admin.ClusterStatus, error) {
	c := b.cl()
	l := c.layout.Get()
	st := admin.ClusterStatus{LayoutVersion: l.Version()}
	seen := map[cluster.NodeID]bool{}
	counts := map[cluster.NodeID]int{}
	if a := l.Assignment(); a != nil {
		counts = a.Counts()
	}
	add := func(ns admin.NodeStatus, id cluster.NodeID) {
		if r, ok := l.Role(id); ok {
			ns.Role = nodeRole(r)
		}
		ns.StoredPartitions = counts[id]
		ns.CatchingUp, ns.Draining = transitionFlags(l, c.ID(), id)
		st.Nodes = append(st.Nodes, ns)
		seen[id] = true
	}
	host, _ := os.Hostname()
	self := admin.NodeStatus{ID: c.ID().String(), Addr: c.cfg.RPCPublicAddr, Hostname: host, Version: Version, IsUp: true}
	self.DataPartition = freeSpace(c.cfg.DataDir)
	self.MetadataPartition = freeSpace(c.cfg.MetadataDir)
	if _, bytes, err := b.n.refs.Stats(); err == nil && bytes >= 0 {
		u := uint64(bytes)
		self.StoredBytes = &u
	}
	add(self, c.ID())
	if ml := c.members.Load(); ml != nil {
		now := time.Now()
		for _, m := range ml.Members() {
			if m.ID == c.ID() {
				continue
			}
			ns := admin.NodeStatus{ID: m.ID.String(), Addr: m.Addr, IsUp: m.Alive}
			if !m.Alive && !m.LastSeen.IsZero() {
				ago := uint64(now.Sub(m.LastSeen) / time.Second)
				ns.LastSeenSecsAgo = &ago
			}
			add(ns, m.ID)
		}
	}
	// Nodes of the layout that gossip has never seen.
	for id := range l.Roles() {
		if !seen[id] {
			add(admin.NodeStatus{ID: id.String()}, id)
		}
	}
	return st, nil
}

func freeSpace(dir string) *admin.FreeSpace {
	total, avail, ok := diskSpace(dir)
	if !ok {
		return nil
	}
	return &admin.FreeSpace{Available: avail, Total: total}
}

func nodeRole(r cluster.Role) *admin.NodeRole {
	nr := &admin.NodeRole{Zone: r.Zone, Tags: slices.Clone(r.Tags)}
	if !r.Gateway {
		c := r.Capacity
		nr.Capacity = &c
	}
	return nr
}

func (b *backend) ClusterHealth(ctx context.Context) (admin.ClusterHealth, error) {
	return b.cl().health(), nil
}

// health sums up which nodes and partitions are available.
func (c *clusterNode) health() admin.ClusterHealth {
	l := c.layout.Get()
	h := admin.ClusterHealth{Partitions: cluster.NumPartitions, KnownNodes: 1, ConnectedNodes: 1}
	if ml := c.members.Load(); ml != nil {
		for _, m := range ml.Members() {
			if m.ID == c.ID() {
				continue
			}
			h.KnownNodes++
			if m.Alive {
				h.ConnectedNodes++
			}
		}
	}
	for _, id := range l.StorageNodes() {
		h.StorageNodes++
		if c.alive(id) {
			h.StorageNodesUp++
		}
	}
	_, wq := quorums(max(l.ReplicationFactor(), 1), c.cfg.ConsistencyMode)
	if l.Version() > 0 {
		for p := range cluster.NumPartitions {
			up := 0
			reps := l.Replicas(uint8(p))
			for _, id := range reps {
				if c.alive(id) {
					up++
				}
			}
			if up >= wq {
				h.PartitionsQuorum++
			}
			if up == len(reps) && len(reps) > 0 {
				h.PartitionsAllOk++
			}
		}
	}
	switch {
	case l.Version() > 0 && h.PartitionsAllOk == h.Partitions:
		h.Status = admin.HealthHealthy
	case l.Version() > 0 && h.PartitionsQuorum == h.Partitions:
		h.Status = admin.HealthDegraded
	default:
		h.Status = admin.HealthUnavailable
	}
	return h
}

// layoutInfo renders a layout for the admin API.
func layoutInfo(l *cluster.Layout) admin.ClusterLayout {
	out := admin.ClusterLayout{Version: l.Version(), Parameters: admin.LayoutParameters{ReplicationFactor: l.ReplicationFactor()}}
	counts := map[cluster.NodeID]int{}
	if a := l.Assignment(); a != nil {
		counts = a.Counts()
	}
	size := partitionSize(l.Roles(), counts)
	out.PartitionSize = size
	for id, r := range l.Roles() {
		lr := admin.LayoutNodeRole{ID: id.String(), Zone: r.Zone, Tags: slices.Clone(r.Tags), StoredPartitions: counts[id]}
		if !r.Gateway {
			c := r.Capacity
			lr.Capacity = &c
			u := uint64(counts[id]) * size
			lr.UsableCapacity = &u
		}
		out.Roles = append(out.Roles, lr)
	}
	for _, s := range l.Staged() {
		ch := admin.NodeRoleChange{ID: s.Node.String(), Remove: s.Remove}
		if !s.Remove {
			ch.Zone, ch.Tags = s.Role.Zone, slices.Clone(s.Role.Tags)
			if !s.Role.Gateway {
				c := s.Role.Capacity
				ch.Capacity = &c
			}
		}
		out.StagedRoleChanges = append(out.StagedRoleChanges, ch)
	}
	if rf, ok := l.StagedReplicationFactor(); ok {
		out.StagedParameters = &admin.LayoutParameters{ReplicationFactor: rf}
	}
	return out
}

// partitionSize is the bytes one partition can hold: the smallest
// capacity / partitions over the storage nodes.
func partitionSize(roles map[cluster.NodeID]cluster.Role, counts map[cluster.NodeID]int) uint64 {
	var size uint64
	for id, r := range roles {
		if r.Gateway || counts[id] == 0 {
			continue
		}
		s := r.Capacity / uint64(counts[id])
		if size == 0 || s < size {
			size = s
		}
	}
	return size
}

func (b *backend) GetLayout(ctx context.Context) (admin.ClusterLayout, error) {
	return layoutInfo(b.cl().layout.Get()), nil
}

func (b *backend) UpdateLayout(ctx context.Context, req admin.UpdateLayoutRequest) (admin.ClusterLayout, error) {
	l, err := b.cl().layout.Update(func(l *cluster.Layout) error {
		for _, ch := range req.Roles {
			id, err := cluster.ParseNodeID(ch.ID)
			if err != nil {
				return fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
			}
			if ch.Remove {
				if err := l.StageRemove(id); err != nil {
					return fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
				}
				continue
			}
			r := cluster.Role{Zone: ch.Zone, Tags: slices.Clone(ch.Tags)}
			if ch.Capacity == nil {
				r.Gateway = true
			} else {
				r.Capacity = *ch.Capacity
			}
			if err := l.Stage(id, r); err != nil {
				return fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
			}
		}
		if p := req.Parameters; p != nil {
			if err := l.StageReplicationFactor(p.ReplicationFactor); err != nil {
				return fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
			}
		}
		return nil
	})
	if err != nil {
		return admin.ClusterLayout{}, err
	}
	return layoutInfo(l), nil
}

func planMessages(p cluster.Plan) []string {
	msg := []string{fmt.Sprintf("layout version %d: %d storage nodes, replication factor %d, %d partition replicas move", p.Version, len(p.Nodes), p.ReplicationFactor, p.Moves)}
	for _, np := range p.Nodes {
		if np.Role.Gateway {
			msg = append(msg, fmt.Sprintf("  %s  zone %-10s gateway", np.ID.Short(), np.Role.Zone))
			continue
		}
		msg = append(msg, fmt.Sprintf("  %s  zone %-10s %3d partitions (was %d), usable %s of %s",
			np.ID.Short(), np.Role.Zone, np.Partitions, np.Previous, cluster.FormatCapacity(np.UsableCapacity), cluster.FormatCapacity(np.Role.Capacity)))
	}
	return msg
}

func (b *backend) PreviewLayout(ctx context.Context) (admin.LayoutPreview, error) {
	l := b.cl().layout.Get()
	if !l.HasStagedChanges() {
		return admin.LayoutPreview{}, fmt.Errorf("%w: no staged changes: stage some with `garage-web layout assign` first", admin.ErrBadRequest)
	}
	next := l.Clone()
	p, err := next.Apply(l.Version()+1, time.Now())
	if err != nil {
		return admin.LayoutPreview{}, fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
	}
	return admin.LayoutPreview{Message: planMessages(p), NewLayout: layoutInfo(next), PartitionsMoved: p.Moves}, nil
}

func (b *backend) ApplyLayout(ctx context.Context, version uint64) (admin.ApplyLayoutResult, error) {
	var plan cluster.Plan
	l, err := b.cl().layout.Update(func(l *cluster.Layout) error {
		if !l.HasStagedChanges() {
			return fmt.Errorf("%w: no staged changes to apply", admin.ErrBadRequest)
		}
		if version != l.Version()+1 {
			return fmt.Errorf("%w: the current layout version is %d: apply with --version %d", admin.ErrBadRequest, l.Version(), l.Version()+1)
		}
		p, err := l.Apply(version, time.Now())
		if err != nil {
			return fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
		}
		plan = p
		return nil
	})
	if err != nil {
		return admin.ApplyLayoutResult{}, err
	}
	return admin.ApplyLayoutResult{Message: planMessages(plan), Layout: layoutInfo(l), PartitionsMoved: plan.Moves}, nil
}

func (b *backend) RevertLayout(ctx context.Context) (admin.ClusterLayout, error) {
	l, err := b.cl().layout.Update(func(l *cluster.Layout) error {
		l.Revert()
		return nil
	})
	if err != nil {
		return admin.ClusterLayout{}, err
	}
	return layoutInfo(l), nil
}

func (b *backend) LayoutHistory(ctx context.Context) (admin.LayoutHistory, error) {
	c := b.cl()
	l := c.layout.Get()
	h := admin.LayoutHistory{CurrentVersion: l.Version(), MinAck: l.AckMin()}
	inUse := map[uint64]bool{}
	for _, v := range l.WriteVersions(c.ID()) {
		inUse[v] = true
	}
	hist := l.History()
	for i := len(hist) - 1; i >= 0; i-- {
		e := hist[i]
		status := admin.LayoutVersionHistorical
		switch {
		case e.Version == l.Version():
			status = admin.LayoutVersionCurrent
		case inUse[e.Version]:
			status = admin.LayoutVersionDraining
		}
		h.Versions = append(h.Versions, admin.LayoutVersion{Version: e.Version, Status: status, StorageNodes: len(e.StorageNodes), GatewayNodes: len(e.Gateways)})
	}
	if l.InTransition(c.ID()) || l.SyncAckMin() < l.Version() {
		h.UpdateTrackers = map[string]admin.UpdateTrackers{}
		for id := range l.Roles() {
			t := l.Trackers(id)
			h.UpdateTrackers[id.String()] = admin.UpdateTrackers{Ack: t.Ack, Sync: t.Sync, SyncAck: t.SyncAck}
		}
	}
	return h, nil
}

// transitionFlags tells whether node id is still receiving the partitions
// a layout change gave it (catching up), and whether it holds partitions
// of an older version in use that the applied one no longer gives it
// (draining).
func transitionFlags(l *cluster.Layout, self, id cluster.NodeID) (catchingUp, draining bool) {
	v := l.Version()
	if v == 0 {
		return false, false
	}
	r, ok := l.Role(id)
	catchingUp = ok && !r.Gateway && l.Trackers(id).Sync < v
	for _, u := range l.WriteVersions(self) {
		if u == v {
			continue
		}
		for p := range cluster.NumPartitions {
			part := uint8(p)
			if containsID(replicasAt(l, u, part), id) && !containsID(l.Replicas(part), id) {
				return catchingUp, true
			}
		}
	}
	return catchingUp, false
}

func (b *backend) ConnectNodes(ctx context.Context, peers []string) ([]admin.ConnectResult, error) {
	out := make([]admin.ConnectResult, len(peers))
	for i, p := range peers {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := b.cl().Connect(cctx, p)
		cancel()
		if err != nil {
			out[i].Error = err.Error()
			continue
		}
		out[i].Success = true
	}
	return out, nil
}
