package admin

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// NodeTableStatus is the answer of GetNodeTableStatus (garage-web): the
// state of this node's replica of every metadata table, with the layout
// versions it reads and writes at. Two replicas of a partition hold the
// same entries when their roots are equal.
type NodeTableStatus struct {
	LayoutVersion uint64   `json:"layoutVersion"`
	ReadVersion   uint64   `json:"readVersion"`
	WriteVersions []uint64 `json:"writeVersions"`
	// SyncRunning: an anti-entropy pass is running; PassDone of PassTotal
	// partitions are done.
	SyncRunning bool `json:"syncRunning"`
	PassDone    int  `json:"passDone"`
	PassTotal   int  `json:"passTotal"`
	// LastFullSync is when the last complete pass ended; nil: none yet.
	LastFullSync *time.Time `json:"lastFullSync"`
	// ReadLeasePartitions counts the partitions this node answers reads of
	// from its own copy under read leases (0 to 256); nil: leases are off
	// on this node (read_lease = "0s", or not consistent mode).
	ReadLeasePartitions *int         `json:"readLeasePartitions"`
	Tables              []TableState `json:"tables"`
}

// TableState is one table of NodeTableStatus.
type TableState struct {
	Name    string `json:"name"`
	Entries uint64 `json:"entries"` // entries stored on this node, tombstones included
	// PartitionsInSync and PartitionsOutOfSync count the partitions this
	// node holds by the outcome of their last comparison with the other
	// holders (not compared yet: neither).
	PartitionsInSync    int    `json:"partitionsInSync"`
	PartitionsOutOfSync int    `json:"partitionsOutOfSync"`
	EntriesSent         uint64 `json:"entriesSent"`
	EntriesReceived     uint64 `json:"entriesReceived"`
	// Partitions lists the non-empty partitions with their Merkle roots,
	// only when asked for (?partitions=true).
	Partitions []PartitionState `json:"partitions,omitempty"`
}

// PartitionState is one partition of a table on this node.
type PartitionState struct {
	Partition int    `json:"partition"`
	Root      string `json:"root"` // hex
	Entries   uint64 `json:"entries"`
}

// TableStatusBackend is implemented by backends that keep replicated
// tables (every node does; the test backend need not).
type TableStatusBackend interface {
	TableStatus(ctx context.Context, partitions bool) (NodeTableStatus, error)
}

// GET /v2/GetNodeTableStatus[?partitions=true]
func (s *Server) getNodeTableStatus(w http.ResponseWriter, r *http.Request) error {
	b, ok := s.backend.(TableStatusBackend)
	if !ok {
		return newError(ErrNotImplemented, "this node keeps no replicated tables")
	}
	st, err := b.TableStatus(r.Context(), r.URL.Query().Get("partitions") == "true")
	if err != nil {
		return err
	}
	if st.Tables == nil {
		st.Tables = []TableState{}
	}
	if st.WriteVersions == nil {
		st.WriteVersions = []uint64{}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// TableStatus calls GetNodeTableStatus.
func (c *Client) TableStatus(ctx context.Context, partitions bool) (NodeTableStatus, error) {
	var out NodeTableStatus
	var q url.Values
	if partitions {
		q = url.Values{"partitions": {"true"}}
	}
	return out, c.do(ctx, "GetNodeTableStatus", q, nil, &out)
}
