package table

// Single is the placement of a one-node cluster: every partition lives on
// the local node, and both quorums are 1.
type Single struct {
	Local Node
}

var _ Placement = Single{}

// Nodes implements Placement.
func (s Single) Nodes(PartitionHash) []Node { return []Node{s.Local} }

// ReadQuorum implements Placement.
func (s Single) ReadQuorum() int { return 1 }

// WriteQuorum implements Placement.
func (s Single) WriteQuorum() int { return 1 }
