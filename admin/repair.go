package admin

import (
	"context"
	"net/http"
	"time"
)

// Repair types of LaunchRepairOperation (Garage's names).
const (
	// RepairBlocks recounts every block's references from the blockrefs
	// table, then queues every block for resync.
	RepairBlocks = "blocks"
	// RepairTables syncs every table partition with its other replicas.
	RepairTables = "tables"
	// RepairScrub re-reads every block, checks its hash and repairs
	// corrupt ones from a replica.
	RepairScrub = "scrub"
)

// States of a RepairOperation.
const (
	RepairIdle    = "idle"    // never run since the node started
	RepairRunning = "running" // in progress
	RepairDone    = "done"    // finished
	RepairFailed  = "failed"  // stopped on an error
)

// LaunchRepairRequest is the body of LaunchRepairOperation.
type LaunchRepairRequest struct {
	RepairType string `json:"repairType"`
}

// RepairOperation is one repair of this node: the one running or the
// last one of its type.
type RepairOperation struct {
	RepairType string `json:"repairType"`
	State      string `json:"state"`
	// Phase names the step a running repair is in ("recount", "queue",
	// "resync", "scrub", "sync").
	Phase string `json:"phase,omitempty"`
	// Done and Total measure progress; Total is 0 when unknown.
	Done       int64      `json:"done"`
	Total      int64      `json:"total"`
	StartedAt  *time.Time `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	// Result sums up a finished repair; Error is why one failed.
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// BlockRepairStatus is the node's block resync, scrub and collection
// totals since it started (the queue and last scrub are current).
type BlockRepairStatus struct {
	ResyncQueueLength int        `json:"resyncQueueLength"`
	ResyncErrors      int64      `json:"resyncErrors"`
	BlocksFetched     int64      `json:"blocksFetched"`
	BlocksOffloaded   int64      `json:"blocksOffloaded"`
	ScrubChecked      int64      `json:"scrubChecked"`
	CorruptedFound    int64      `json:"corruptedFound"`
	CorruptedRepaired int64      `json:"corruptedRepaired"`
	GCDeleted         int64      `json:"gcDeleted"`
	GCOrphansSwept    int64      `json:"gcOrphansSwept"`
	LastScrub         *time.Time `json:"lastScrub"`
	// NextScrub is when the periodic scrub runs next; nil when disabled.
	NextScrub *time.Time `json:"nextScrub"`
}

// RepairStatus is the answer of GetRepairStatus.
type RepairStatus struct {
	NodeID string `json:"nodeId"`
	// Operations has one entry per repair type, in a fixed order
	// (blocks, tables, scrub).
	Operations []RepairOperation `json:"operations"`
	Blocks     BlockRepairStatus `json:"blocks"`
}

// RepairBackend launches and reports repairs. A Backend that also
// implements it serves LaunchRepairOperation and GetRepairStatus; others
// answer 501.
type RepairBackend interface {
	// LaunchRepair starts a repair in the background and returns its
	// state. An unknown type is ErrBadRequest; one of the same type
	// already running is ErrConflict.
	LaunchRepair(ctx context.Context, repairType string) (RepairOperation, error)
	RepairStatus(ctx context.Context) (RepairStatus, error)
}

func (s *Server) repairRoutes() []route {
	return []route{
		{http.MethodPost, "/v2/LaunchRepairOperation", "LaunchRepairOperation", authAdmin, s.launchRepair},
		{http.MethodGet, "/v2/GetRepairStatus", "GetRepairStatus", authAdmin, s.getRepairStatus},
	}
}

func (s *Server) repairBackend() (RepairBackend, error) {
	rb, ok := s.backend.(RepairBackend)
	if !ok {
		return nil, newError(ErrNotImplemented, "this node has no repair operations")
	}
	return rb, nil
}

// POST /v2/LaunchRepairOperation {"repairType": "blocks"|"tables"|"scrub"}
func (s *Server) launchRepair(w http.ResponseWriter, r *http.Request) error {
	rb, err := s.repairBackend()
	if err != nil {
		return err
	}
	var req LaunchRepairRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	switch req.RepairType {
	case RepairBlocks, RepairTables, RepairScrub:
	default:
		return badRequest("repairType %q: want %q, %q or %q", req.RepairType, RepairBlocks, RepairTables, RepairScrub)
	}
	op, err := rb.LaunchRepair(r.Context(), req.RepairType)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, op)
	return nil
}

// GET /v2/GetRepairStatus
func (s *Server) getRepairStatus(w http.ResponseWriter, r *http.Request) error {
	rb, err := s.repairBackend()
	if err != nil {
		return err
	}
	st, err := rb.RepairStatus(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// LaunchRepair starts a repair on the node (LaunchRepairOperation).
func (c *Client) LaunchRepair(ctx context.Context, repairType string) (RepairOperation, error) {
	var out RepairOperation
	err := c.do(ctx, "LaunchRepairOperation", nil, LaunchRepairRequest{RepairType: repairType}, &out)
	return out, err
}

// RepairStatus returns the node's repairs and block totals
// (GetRepairStatus).
func (c *Client) RepairStatus(ctx context.Context) (RepairStatus, error) {
	var out RepairStatus
	err := c.do(ctx, "GetRepairStatus", nil, nil, &out)
	return out, err
}
