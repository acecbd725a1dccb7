package admin

import "encoding/json"

// Types of the cluster and layout operations' JSON bodies. Names and
// shapes follow Garage's admin API v2 (GetClusterStatus, GetClusterLayout,
// ...); fields Garage does not have are marked "garage-web:".
//
// Capacities and sizes are in bytes. A nil capacity is a gateway: a node
// that serves S3 and websites but stores no partition.

// Cluster health states of ClusterHealth.Status.
const (
	// HealthHealthy: every storage node of the layout is up.
	HealthHealthy = "healthy"
	// HealthDegraded: some storage node is down, but every partition
	// still has a write quorum.
	HealthDegraded = "degraded"
	// HealthUnavailable: some partition has no write quorum.
	HealthUnavailable = "unavailable"
)

// Statuses of a layout version in LayoutHistory (Garage's capitalised
// names).
const (
	LayoutVersionCurrent    = "Current"    // the version in use
	LayoutVersionDraining   = "Draining"   // older, data still moving off it
	LayoutVersionHistorical = "Historical" // older, no longer needed
)

// ClusterStatus is the answer of GetClusterStatus: every node this node
// knows of, with its role in the current layout.
type ClusterStatus struct {
	LayoutVersion uint64       `json:"layoutVersion"`
	Nodes         []NodeStatus `json:"nodes"` // sorted by id
}

// NodeStatus is one node of ClusterStatus.
type NodeStatus struct {
	ID       string `json:"id"`                 // 64 hex characters
	Addr     string `json:"addr,omitempty"`     // RPC address, "" if unknown
	Hostname string `json:"hostname,omitempty"` // "" if unknown
	Version  string `json:"version,omitempty"`  // garage-web version, "" if unknown
	IsUp     bool   `json:"isUp"`
	// LastSeenSecsAgo is nil when the node is up or was never seen.
	LastSeenSecsAgo *uint64 `json:"lastSeenSecsAgo"`
	// Role is the node's role in the current layout; nil for none.
	Role *NodeRole `json:"role"`
	// Draining: the node holds data of an older layout version that it
	// no longer has in the current one.
	Draining bool `json:"draining"`
	// DataPartition and MetadataPartition are the free space of the
	// disks of data_dir and metadata_dir; nil when unknown.
	DataPartition     *FreeSpace `json:"dataPartition"`
	MetadataPartition *FreeSpace `json:"metadataPartition"`

	// garage-web: partitions the node holds in the current layout.
	StoredPartitions int `json:"storedPartitions"`
	// garage-web: bytes of data blocks the node stores; nil when unknown.
	StoredBytes *uint64 `json:"storedBytes"`
	// garage-web: the node is still receiving data for partitions it
	// was given by a layout change.
	CatchingUp bool `json:"catchingUp"`
}

// NodeRole is a node's role in a layout, as in GetClusterStatus.
type NodeRole struct {
	Zone     string   `json:"zone"`
	Capacity *uint64  `json:"capacity"` // bytes; nil for a gateway
	Tags     []string `json:"tags"`
}

// IsGateway reports whether the role stores nothing.
func (r NodeRole) IsGateway() bool { return r.Capacity == nil }

// FreeSpace is the available and total bytes of a disk.
type FreeSpace struct {
	Available uint64 `json:"available"`
	Total     uint64 `json:"total"`
}

// ClusterHealth is the answer of GetClusterHealth.
type ClusterHealth struct {
	Status         string `json:"status"`         // HealthHealthy, HealthDegraded or HealthUnavailable
	KnownNodes     int    `json:"knownNodes"`     // nodes this node has heard of
	ConnectedNodes int    `json:"connectedNodes"` // of those, the ones up now
	StorageNodes   int    `json:"storageNodes"`   // nodes with a capacity in the current layout
	StorageNodesUp int    `json:"storageNodesUp"` // of those, the ones up now
	Partitions     int    `json:"partitions"`     // 256
	// PartitionsQuorum: partitions with a write quorum of their nodes up.
	PartitionsQuorum int `json:"partitionsQuorum"`
	// PartitionsAllOk: partitions with all of their nodes up.
	PartitionsAllOk int `json:"partitionsAllOk"`
}

// ClusterLayout is the answer of GetClusterLayout, UpdateClusterLayout
// and RevertClusterLayout: the applied layout and the staged changes.
type ClusterLayout struct {
	Version uint64 `json:"version"`
	// Roles are the nodes with a role in the applied layout, sorted by
	// zone then id.
	Roles      []LayoutNodeRole `json:"roles"`
	Parameters LayoutParameters `json:"parameters"`
	// PartitionSize is the bytes each partition can hold with the
	// applied capacities (0 when no node has a capacity).
	PartitionSize uint64 `json:"partitionSize"`
	// StagedRoleChanges are applied by the next ApplyClusterLayout,
	// sorted by id.
	StagedRoleChanges []NodeRoleChange `json:"stagedRoleChanges"`
	// StagedParameters is nil when the parameters are not changed.
	StagedParameters *LayoutParameters `json:"stagedParameters"`
}

// HasStagedChanges reports whether an apply would change anything.
func (l ClusterLayout) HasStagedChanges() bool {
	return len(l.StagedRoleChanges) > 0 || l.StagedParameters != nil
}

// LayoutNodeRole is a node's role in the applied layout.
type LayoutNodeRole struct {
	ID       string   `json:"id"`
	Zone     string   `json:"zone"`
	Capacity *uint64  `json:"capacity"` // bytes; nil for a gateway
	Tags     []string `json:"tags"`
	// StoredPartitions is the number of partitions given to the node.
	StoredPartitions int `json:"storedPartitions"`
	// UsableCapacity is StoredPartitions × partition size; nil for a
	// gateway.
	UsableCapacity *uint64 `json:"usableCapacity"`
}

// LayoutParameters are the layout's cluster-wide settings.
type LayoutParameters struct {
	// garage-web: copies of each partition, 1 to 3 (Garage keeps it in
	// its configuration file instead).
	ReplicationFactor int `json:"replicationFactor"`
}

// NodeRoleChange is one staged change: the node's new role, or its
// removal from the layout. In JSON it is {"id", "remove": true} or
// {"id", "zone", "capacity", "tags"}, capacity null for a gateway.
type NodeRoleChange struct {
	ID       string   `json:"id"`
	Remove   bool     `json:"remove,omitempty"`
	Zone     string   `json:"zone,omitempty"`
	Capacity *uint64  `json:"capacity,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

// Role returns the new role of a change that is not a removal.
func (c NodeRoleChange) Role() NodeRole {
	return NodeRole{Zone: c.Zone, Capacity: c.Capacity, Tags: c.Tags}
}

// MarshalJSON writes a removal as {"id","remove":true} and a role with
// all its fields, capacity null for a gateway.
func (c NodeRoleChange) MarshalJSON() ([]byte, error) {
	if c.Remove {
		return json.Marshal(struct {
			ID     string `json:"id"`
			Remove bool   `json:"remove"`
		}{c.ID, true})
	}
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	return json.Marshal(struct {
		ID       string   `json:"id"`
		Zone     string   `json:"zone"`
		Capacity *uint64  `json:"capacity"`
		Tags     []string `json:"tags"`
	}{c.ID, c.Zone, c.Capacity, tags})
}

// UpdateLayoutRequest is the body of UpdateClusterLayout. Each role
// replaces any change already staged for the same node.
type UpdateLayoutRequest struct {
	Roles      []NodeRoleChange  `json:"roles,omitempty"`
	Parameters *LayoutParameters `json:"parameters,omitempty"`
}

// LayoutPreview is the answer of PreviewClusterLayoutChanges: the layout
// that ApplyClusterLayout would make of the staged changes.
type LayoutPreview struct {
	Message   []string      `json:"message"` // for people; the format is not stable
	NewLayout ClusterLayout `json:"newLayout"`
	// garage-web: partition replicas that would move to another node.
	PartitionsMoved int `json:"partitionsMoved"`
}

// ApplyLayoutRequest is the body of ApplyClusterLayout. Version must be
// the current version + 1, so that changes staged by someone else since
// the caller looked are not applied by mistake.
type ApplyLayoutRequest struct {
	Version *uint64 `json:"version"` // required
}

// ApplyLayoutResult is the answer of ApplyClusterLayout.
type ApplyLayoutResult struct {
	Message []string      `json:"message"` // for people; the format is not stable
	Layout  ClusterLayout `json:"layout"`
	// garage-web: partition replicas that moved to another node.
	PartitionsMoved int `json:"partitionsMoved"`
}

// LayoutHistory is the answer of GetClusterLayoutHistory.
type LayoutHistory struct {
	CurrentVersion uint64 `json:"currentVersion"`
	// MinAck: every node has acknowledged the layout versions up to this
	// one at least.
	MinAck uint64 `json:"minAck"`
	// Versions, newest first.
	Versions []LayoutVersion `json:"versions"`
	// UpdateTrackers, by node id, are how far each node has acknowledged
	// and synced layout versions; nil when every node is up to date.
	UpdateTrackers map[string]UpdateTrackers `json:"updateTrackers"`
}

// LayoutVersion is one version of LayoutHistory.
type LayoutVersion struct {
	Version      uint64 `json:"version"`
	Status       string `json:"status"` // LayoutVersionCurrent, ...Draining or ...Historical
	StorageNodes int    `json:"storageNodes"`
	GatewayNodes int    `json:"gatewayNodes"`
}

// UpdateTrackers are the layout versions one node has acknowledged
// (Ack), finished syncing data for (Sync), and seen every node finish
// syncing (SyncAck).
type UpdateTrackers struct {
	Ack     uint64 `json:"ack"`
	Sync    uint64 `json:"sync"`
	SyncAck uint64 `json:"syncAck"`
}

// ConnectResult is one element of the answer of ConnectClusterNodes, in
// the order of the request's peers.
type ConnectResult struct {
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"` // why the connection failed
}

// Lists are encoded as [] rather than null.

func (s *ClusterStatus) normalize() {
	if s.Nodes == nil {
		s.Nodes = []NodeStatus{}
	}
	for i := range s.Nodes {
		if r := s.Nodes[i].Role; r != nil && r.Tags == nil {
			r.Tags = []string{}
		}
	}
}

func (l *ClusterLayout) normalize() {
	if l.Roles == nil {
		l.Roles = []LayoutNodeRole{}
	}
	for i := range l.Roles {
		if l.Roles[i].Tags == nil {
			l.Roles[i].Tags = []string{}
		}
	}
	if l.StagedRoleChanges == nil {
		l.StagedRoleChanges = []NodeRoleChange{}
	}
}

func (h *LayoutHistory) normalize() {
	if h.Versions == nil {
		h.Versions = []LayoutVersion{}
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
