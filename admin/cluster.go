package admin

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
)

// GET /v2/GetClusterStatus: every known node, sorted by id.
func (s *Server) getClusterStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.backend.ClusterStatus(r.Context())
	if err != nil {
		return err
	}
	st.Nodes = slices.Clone(st.Nodes)
	slices.SortFunc(st.Nodes, func(a, b NodeStatus) int { return cmp.Compare(a.ID, b.ID) })
	st.normalize()
	writeJSON(w, http.StatusOK, st)
	return nil
}

// GET /v2/GetClusterHealth
func (s *Server) getClusterHealth(w http.ResponseWriter, r *http.Request) error {
	h, err := s.backend.ClusterHealth(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// POST /v2/ConnectClusterNodes ["ID@host:port", ...]: one result per
// peer, in order. Malformed peers fail the whole request before any
// connection is tried.
func (s *Server) connectClusterNodes(w http.ResponseWriter, r *http.Request) error {
	var peers []string
	if err := decodeBody(r, &peers, false); err != nil {
		return err
	}
	if len(peers) == 0 {
		return badRequest("no peers given: the body is a list of \"ID@host:port\"")
	}
	for i, p := range peers {
		norm, err := parsePeer(p)
		if err != nil {
			return err
		}
		peers[i] = norm
	}
	res, err := s.backend.ConnectNodes(r.Context(), peers)
	if err != nil {
		return err
	}
	if len(res) != len(peers) {
		return fmt.Errorf("admin: backend returned %d results for %d peers", len(res), len(peers))
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// parsePeer checks "ID@host:port" and returns it with the id in lower
// case.
func parsePeer(p string) (string, error) {
	id, addr, ok := strings.Cut(p, "@")
	if !ok {
		return "", badRequest("peer %q: want ID@host:port (see 'garage-web node id' on that node)", p)
	}
	id, err := checkNodeID(id)
	if err != nil {
		return "", fmt.Errorf("peer %q: %w", p, err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return "", badRequest("peer %q: address %q is not host:port", p, addr)
	}
	return id + "@" + addr, nil
}

// nodeIDLen is the length of a node id in hex.
const nodeIDLen = 64

// checkNodeID checks that id is a whole node id and returns it in lower
// case.
func checkNodeID(id string) (string, error) {
	lower := strings.ToLower(id)
	if len(lower) != nodeIDLen || strings.Trim(lower, "0123456789abcdef") != "" {
		return "", badRequest("invalid node id %q: want %d hex characters", id, nodeIDLen)
	}
	return lower, nil
}
