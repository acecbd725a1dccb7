package blockrepl

import (
	"cmp"
	"slices"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// Preference tiers of a replica for reads, best first.
const (
	tierLocal    = iota // this node
	tierSameZone        // a node in this node's zone
	tierMeasured        // another zone, with a measured RTT
	tierOther           // nothing known
)

// readOrder returns the nodes in the order reads try them: this node,
// then nodes of the local zone, then the lowest measured RTT, then the
// rest. Within a tier, a measured RTT goes before none and a lower one
// first; ties keep the layout's order. nodes is not modified.
func (s *Store) readOrder(nodes []cluster.NodeID) []cluster.NodeID {
	type ranked struct {
		node     cluster.NodeID
		tier     int
		measured bool
		rtt      time.Duration
	}
	localZone := s.cfg.LocalZone
	if localZone == "" && s.cfg.Zone != nil {
		localZone = s.cfg.Zone(s.cfg.Node)
	}
	rs := make([]ranked, len(nodes))
	for i, n := range nodes {
		r := ranked{node: n, tier: tierOther}
		if s.cfg.RTT != nil {
			r.rtt, r.measured = s.cfg.RTT(n)
		}
		switch {
		case n == s.cfg.Node:
			r.tier = tierLocal
		case localZone != "" && s.cfg.Zone != nil && s.cfg.Zone(n) == localZone:
			r.tier = tierSameZone
		case r.measured:
			r.tier = tierMeasured
		}
		rs[i] = r
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		if c := cmp.Compare(a.tier, b.tier); c != 0 {
			return c
		}
		if a.measured != b.measured {
			if a.measured {
				return -1
			}
			return 1
		}
		if a.measured {
			return cmp.Compare(a.rtt, b.rtt)
		}
		return 0
	})
	out := make([]cluster.NodeID, len(rs))
	for i, r := range rs {
		out[i] = r.node
	}
	return out
}
