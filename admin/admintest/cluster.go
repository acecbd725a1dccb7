package admintest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/garage-web/garage-web/admin"
)

// Node is a node the fake cluster knows of. Tests add nodes with AddNode;
// New adds this node itself (SelfID), up and with no role.
type Node struct {
	ID       string // 64 hex characters
	Addr     string
	Hostname string
	IsUp     bool
	// LastSeenSecsAgo is reported for a node that is down.
	LastSeenSecsAgo uint64
	// StoredBytes, when not nil, is reported as the node's data.
	StoredBytes *uint64
	Draining    bool
	CatchingUp  bool
}

// SelfID is the id of the node the fake backend describes.
var SelfID = strings.Repeat("a1", 32)

// partitions is the number of partitions of a layout.
const partitions = 256

// layoutState is the fake layout: the applied version and the staged
// changes. Partitions are shared out evenly between storage nodes, in id
// order: no zones, no capacities, just enough to show numbers moving.
type layoutState struct {
	version  uint64
	rf       int
	roles    map[string]admin.NodeRole // applied
	parts    map[string]int            // partitions held, by node
	staged   map[string]admin.NodeRoleChange
	stagedRF *int
	history  []admin.LayoutVersion // oldest first
}

func newLayoutState() layoutState {
	return layoutState{
		rf:     3,
		roles:  make(map[string]admin.NodeRole),
		parts:  make(map[string]int),
		staged: make(map[string]admin.NodeRoleChange),
	}
}

// AddNode makes the fake cluster know n, or replaces what it knows of it.
func (b *Backend) AddNode(n Node) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nodes[n.ID] = &n
}

// SetNodeUp marks a known node up or down.
func (b *Backend) SetNodeUp(id string, up bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n, ok := b.nodes[id]; ok {
		n.IsUp = up
	}
}

// SetReplicationFactor sets the applied replication factor (3 at first).
func (b *Backend) SetReplicationFactor(rf int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.layout.rf = rf
}

// ClusterStatus implements admin.ClusterBackend.
func (b *Backend) ClusterStatus(context.Context) (admin.ClusterStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := admin.ClusterStatus{LayoutVersion: b.layout.version}
	for _, n := range b.nodes {
		ns := admin.NodeStatus{
			ID: n.ID, Addr: n.Addr, Hostname: n.Hostname, Version: "test", IsUp: n.IsUp,
			Draining: n.Draining, CatchingUp: n.CatchingUp, StoredBytes: n.StoredBytes,
			StoredPartitions: b.layout.parts[n.ID],
		}
		if !n.IsUp {
			secs := n.LastSeenSecsAgo
			ns.LastSeenSecsAgo = &secs
		}
		if r, ok := b.layout.roles[n.ID]; ok {
			r.Tags = slices.Clone(r.Tags)
			ns.Role = &r
			if !r.IsGateway() {
				ns.DataPartition = &admin.FreeSpace{Available: 500e9, Total: 1000e9}
			}
		}
		st.Nodes = append(st.Nodes, ns)
	}
	return st, nil
}

// ClusterHealth implements admin.ClusterBackend. Partitions are counted
// roughly: all of them have a quorum while no more than a minority of
// the replication factor's storage nodes is down.
func (b *Backend) ClusterHealth(context.Context) (admin.ClusterHealth, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := admin.ClusterHealth{KnownNodes: len(b.nodes), Partitions: partitions}
	for _, n := range b.nodes {
		if n.IsUp {
			h.ConnectedNodes++
		}
	}
	for id, r := range b.layout.roles {
		if r.IsGateway() {
			continue
		}
		h.StorageNodes++
		if n, ok := b.nodes[id]; ok && n.IsUp {
			h.StorageNodesUp++
		}
	}
	down := h.StorageNodes - h.StorageNodesUp
	switch {
	case h.StorageNodes == 0:
		h.Status = admin.HealthUnavailable
	case down == 0:
		h.Status, h.PartitionsQuorum, h.PartitionsAllOk = admin.HealthHealthy, partitions, partitions
	case down <= b.layout.rf-(b.layout.rf/2+1):
		h.Status, h.PartitionsQuorum = admin.HealthDegraded, partitions
	default:
		h.Status = admin.HealthUnavailable
	}
	return h, nil
}

// ConnectNodes implements admin.ClusterBackend: a peer whose id was added
// with AddNode is reached (and marked up); any other is refused.
func (b *Backend) ConnectNodes(_ context.Context, peers []string) ([]admin.ConnectResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]admin.ConnectResult, len(peers))
	for i, p := range peers {
		id, addr, _ := strings.Cut(p, "@")
		n, ok := b.nodes[id]
		if !ok {
			out[i] = admin.ConnectResult{Error: fmt.Sprintf("cannot connect to %s: connection refused", addr)}
			continue
		}
		n.Addr, n.IsUp = addr, true
		out[i] = admin.ConnectResult{Success: true}
	}
	return out, nil
}

// GetLayout implements admin.ClusterBackend.
func (b *Backend) GetLayout(context.Context) (admin.ClusterLayout, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.layoutLocked(), nil
}

// layoutLocked describes the layout; b.mu must be held.
func (b *Backend) layoutLocked() admin.ClusterLayout {
	ls := &b.layout
	l := describe(ls.version, ls.rf, ls.roles, ls.parts)
	for _, c := range ls.staged {
		c.Tags = slices.Clone(c.Tags)
		l.StagedRoleChanges = append(l.StagedRoleChanges, c)
	}
	if ls.stagedRF != nil {
		l.StagedParameters = &admin.LayoutParameters{ReplicationFactor: *ls.stagedRF}
	}
	return l
}

// describe is the ClusterLayout of an assignment, without staged changes.
func describe(version uint64, rf int, roles map[string]admin.NodeRole, parts map[string]int) admin.ClusterLayout {
	l := admin.ClusterLayout{Version: version, Parameters: admin.LayoutParameters{ReplicationFactor: rf}}
	// The partition size is what the fullest node allows.
	for id, r := range roles {
		if r.Capacity != nil && parts[id] > 0 {
			size := *r.Capacity / uint64(parts[id])
			if l.PartitionSize == 0 || size < l.PartitionSize {
				l.PartitionSize = size
			}
		}
	}
	for id, r := range roles {
		lr := admin.LayoutNodeRole{ID: id, Zone: r.Zone, Capacity: r.Capacity, Tags: slices.Clone(r.Tags), StoredPartitions: parts[id]}
		if r.Capacity != nil {
			usable := uint64(parts[id]) * l.PartitionSize
			lr.UsableCapacity = &usable
		}
		l.Roles = append(l.Roles, lr)
	}
	return l
}

// UpdateLayout implements admin.ClusterBackend.
func (b *Backend) UpdateLayout(_ context.Context, req admin.UpdateLayoutRequest) (admin.ClusterLayout, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ls := &b.layout
	for _, c := range req.Roles { // check everything before changing anything
		_, known := b.nodes[c.ID]
		_, hasRole := ls.roles[c.ID]
		_, isStaged := ls.staged[c.ID]
		switch {
		case !known && !hasRole:
			return admin.ClusterLayout{}, admin.Errorf(admin.ErrNoSuchNode, "no node %s in the cluster: connect to it first (ConnectClusterNodes)", c.ID)
		case c.Remove && !hasRole && !isStaged:
			return admin.ClusterLayout{}, admin.Errorf(admin.ErrBadRequest, "node %s has no role to remove", c.ID)
		}
	}
	for _, c := range req.Roles {
		cur, hasRole := ls.roles[c.ID]
		switch {
		case c.Remove && !hasRole, !c.Remove && hasRole && sameRole(cur, c.Role()):
			delete(ls.staged, c.ID) // back to the applied state
		default:
			ls.staged[c.ID] = c
		}
	}
	if p := req.Parameters; p != nil {
		if p.ReplicationFactor == ls.rf {
			ls.stagedRF = nil
		} else {
			rf := p.ReplicationFactor
			ls.stagedRF = &rf
		}
	}
	return b.layoutLocked(), nil
}

func sameRole(a, b admin.NodeRole) bool {
	return a.Zone == b.Zone && (a.Capacity == nil) == (b.Capacity == nil) &&
		(a.Capacity == nil || *a.Capacity == *b.Capacity) && slices.Equal(a.Tags, b.Tags)
}

// staged computes the layout the staged changes make; b.mu must be held.
func (b *Backend) stagedAssignment() (roles map[string]admin.NodeRole, rf int, parts map[string]int, moved int, err error) {
	ls := &b.layout
	if len(ls.staged) == 0 && ls.stagedRF == nil {
		return nil, 0, nil, 0, admin.Errorf(admin.ErrBadRequest, "no staged changes to apply: stage some with UpdateClusterLayout first")
	}
	roles = maps.Clone(ls.roles)
	for id, c := range ls.staged {
		if c.Remove {
			delete(roles, id)
		} else {
			roles[id] = c.Role()
		}
	}
	rf = ls.rf
	if ls.stagedRF != nil {
		rf = *ls.stagedRF
	}
	var storage []string
	for id, r := range roles {
		if !r.IsGateway() {
			storage = append(storage, id)
		}
	}
	if len(storage) < rf {
		return nil, 0, nil, 0, admin.Errorf(admin.ErrBadRequest, "replication factor %d needs at least %d storage nodes, the new layout would have %d",
			rf, rf, len(storage))
	}
	slices.Sort(storage)
	parts = make(map[string]int)
	total := partitions * rf
	for i, id := range storage {
		parts[id] = total / len(storage)
		if i < total%len(storage) {
			parts[id]++
		}
		moved += max(0, parts[id]-ls.parts[id])
	}
	return roles, rf, parts, moved, nil
}

// PreviewLayout implements admin.ClusterBackend.
func (b *Backend) PreviewLayout(context.Context) (admin.LayoutPreview, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	roles, rf, parts, moved, err := b.stagedAssignment()
	if err != nil {
		return admin.LayoutPreview{}, err
	}
	return admin.LayoutPreview{
		Message:         assignmentMessage(roles, rf, moved),
		NewLayout:       describe(b.layout.version+1, rf, roles, parts),
		PartitionsMoved: moved,
	}, nil
}

func assignmentMessage(roles map[string]admin.NodeRole, rf, moved int) []string {
	storage, gateways := 0, 0
	for _, r := range roles {
		if r.IsGateway() {
			gateways++
		} else {
			storage++
		}
	}
	return []string{
		fmt.Sprintf("Storage nodes: %d, gateways: %d, replication factor %d.", storage, gateways, rf),
		fmt.Sprintf("%d partition replicas move to a new node.", moved),
	}
}

// ApplyLayout implements admin.ClusterBackend.
func (b *Backend) ApplyLayout(_ context.Context, version uint64) (admin.ApplyLayoutResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ls := &b.layout
	if version != ls.version+1 {
		return admin.ApplyLayoutResult{}, admin.Errorf(admin.ErrBadRequest, "cannot apply layout version %d: the current version is %d, so the next one is %d",
			version, ls.version, ls.version+1)
	}
	roles, rf, parts, moved, err := b.stagedAssignment()
	if err != nil {
		return admin.ApplyLayoutResult{}, err
	}
	for i := range ls.history {
		if ls.history[i].Status == admin.LayoutVersionCurrent {
			ls.history[i].Status = admin.LayoutVersionDraining
		} else {
			ls.history[i].Status = admin.LayoutVersionHistorical
		}
	}
	ls.version, ls.rf, ls.roles, ls.parts = version, rf, roles, parts
	clear(ls.staged)
	ls.stagedRF = nil
	v := admin.LayoutVersion{Version: version, Status: admin.LayoutVersionCurrent}
	for _, r := range roles {
		if r.IsGateway() {
			v.GatewayNodes++
		} else {
			v.StorageNodes++
		}
	}
	ls.history = append(ls.history, v)
	return admin.ApplyLayoutResult{
		Message:         assignmentMessage(roles, rf, moved),
		Layout:          b.layoutLocked(),
		PartitionsMoved: moved,
	}, nil
}

// RevertLayout implements admin.ClusterBackend.
func (b *Backend) RevertLayout(context.Context) (admin.ClusterLayout, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.layout.staged)
	b.layout.stagedRF = nil
	return b.layoutLocked(), nil
}

// LayoutHistory implements admin.ClusterBackend.
func (b *Backend) LayoutHistory(context.Context) (admin.LayoutHistory, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := admin.LayoutHistory{CurrentVersion: b.layout.version, MinAck: b.layout.version}
	h.Versions = slices.Clone(b.layout.history)
	slices.SortFunc(h.Versions, func(x, y admin.LayoutVersion) int { return cmp.Compare(y.Version, x.Version) })
	return h, nil
}
