package admin

import (
	"cmp"
	"net/http"
	"slices"
)

// Replication factors a layout may have.
const (
	MinReplicationFactor = 1
	MaxReplicationFactor = 3
)

// maxZoneLen bounds zone names, which are shown in tables.
const maxZoneLen = 64

// GET /v2/GetClusterLayout
func (s *Server) getClusterLayout(w http.ResponseWriter, r *http.Request) error {
	l, err := s.backend.GetLayout(r.Context())
	if err != nil {
		return err
	}
	return writeLayout(w, l)
}

// POST /v2/UpdateClusterLayout {"roles": [...], "parameters": {...}}:
// the layout with the changes staged.
func (s *Server) updateClusterLayout(w http.ResponseWriter, r *http.Request) error {
	var req UpdateLayoutRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if err := checkLayoutUpdate(&req); err != nil {
		return err
	}
	l, err := s.backend.UpdateLayout(r.Context(), req)
	if err != nil {
		return err
	}
	return writeLayout(w, l)
}

// checkLayoutUpdate checks the syntax of req and puts node ids in lower
// case.
func checkLayoutUpdate(req *UpdateLayoutRequest) error {
	if len(req.Roles) == 0 && req.Parameters == nil {
		return badRequest("nothing to change: give \"roles\" or \"parameters\"")
	}
	seen := make(map[string]bool)
	for i := range req.Roles {
		c := &req.Roles[i]
		id, err := checkNodeID(c.ID)
		if err != nil {
			return err
		}
		c.ID = id
		if seen[id] {
			return badRequest("node %s appears twice in \"roles\"", id)
		}
		seen[id] = true
		if c.Remove {
			if c.Zone != "" || c.Capacity != nil || len(c.Tags) > 0 {
				return badRequest("node %s: a removal has no zone, capacity or tags", id)
			}
			continue
		}
		switch {
		case c.Zone == "":
			return badRequest("node %s: zone is required (or \"remove\": true)", id)
		case len(c.Zone) > maxZoneLen:
			return badRequest("node %s: zone is longer than %d bytes", id, maxZoneLen)
		case c.Capacity != nil && *c.Capacity == 0:
			return badRequest("node %s: capacity must be more than 0 bytes (null for a gateway)", id)
		}
		for _, t := range c.Tags {
			if t == "" {
				return badRequest("node %s: empty tag", id)
			}
		}
	}
	if p := req.Parameters; p != nil {
		if p.ReplicationFactor < MinReplicationFactor || p.ReplicationFactor > MaxReplicationFactor {
			return badRequest("replicationFactor %d: must be %d to %d", p.ReplicationFactor, MinReplicationFactor, MaxReplicationFactor)
		}
	}
	return nil
}

// POST /v2/PreviewClusterLayoutChanges: what ApplyClusterLayout would do.
// No body.
func (s *Server) previewClusterLayoutChanges(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := decodeBody(r, &empty, true); err != nil {
		return err
	}
	p, err := s.backend.PreviewLayout(r.Context())
	if err != nil {
		return err
	}
	p.Message = orEmpty(p.Message)
	sortLayout(&p.NewLayout)
	p.NewLayout.normalize()
	writeJSON(w, http.StatusOK, p)
	return nil
}

// POST /v2/ApplyClusterLayout {"version": N}
func (s *Server) applyClusterLayout(w http.ResponseWriter, r *http.Request) error {
	var req ApplyLayoutRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.Version == nil {
		return badRequest("\"version\" is required: the current layout version + 1 (see GetClusterLayout)")
	}
	res, err := s.backend.ApplyLayout(r.Context(), *req.Version)
	if err != nil {
		return err
	}
	res.Message = orEmpty(res.Message)
	sortLayout(&res.Layout)
	res.Layout.normalize()
	writeJSON(w, http.StatusOK, res)
	return nil
}

// POST /v2/RevertClusterLayout: the layout without staged changes. No
// body.
func (s *Server) revertClusterLayout(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := decodeBody(r, &empty, true); err != nil {
		return err
	}
	l, err := s.backend.RevertLayout(r.Context())
	if err != nil {
		return err
	}
	return writeLayout(w, l)
}

// GET /v2/GetClusterLayoutHistory
func (s *Server) getClusterLayoutHistory(w http.ResponseWriter, r *http.Request) error {
	h, err := s.backend.LayoutHistory(r.Context())
	if err != nil {
		return err
	}
	h.Versions = slices.Clone(h.Versions)
	slices.SortFunc(h.Versions, func(a, b LayoutVersion) int { return cmp.Compare(b.Version, a.Version) })
	h.normalize()
	writeJSON(w, http.StatusOK, h)
	return nil
}

func writeLayout(w http.ResponseWriter, l ClusterLayout) error {
	sortLayout(&l)
	l.normalize()
	writeJSON(w, http.StatusOK, l)
	return nil
}

// sortLayout orders roles by zone then id, and staged changes by id.
func sortLayout(l *ClusterLayout) {
	l.Roles = slices.Clone(l.Roles)
	slices.SortFunc(l.Roles, func(a, b LayoutNodeRole) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.ID, b.ID))
	})
	l.StagedRoleChanges = slices.Clone(l.StagedRoleChanges)
	slices.SortFunc(l.StagedRoleChanges, func(a, b NodeRoleChange) int { return cmp.Compare(a.ID, b.ID) })
}
