package cluster

import "github.com/garage-web/garage-web/table"

// Single is the placement of a one-node cluster: every partition lives on
// the local node, and both quorums are 1.
type Single struct {
	Local table.Node
}

var _ table.Placement = Single{}

// Nodes implements table.Placement.
func (s Single) Nodes(table.PartitionHash) []table.Node { return []table.Node{s.Local} }

// ReadQuorum implements table.Placement.
func (s Single) ReadQuorum() int { return 1 }

// WriteQuorum implements table.Placement.
func (s Single) WriteQuorum() int { return 1 }
