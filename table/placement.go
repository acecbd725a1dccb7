package table

// WriteSet is the replicas of a partition in one layout version and how
// many of them must acknowledge a write.
type WriteSet struct {
	Nodes  []Node
	Quorum int
}

// TransitionPlacement is a Placement whose replica sets change with the
// cluster layout. While a layout change moves data, several layout
// versions are in use: Nodes and ReadQuorum are those of the version reads
// use (the old one, until the new replicas have synced), and a write must
// reach a quorum of the replicas of every version in use, so that no read,
// at whichever version, misses it.
type TransitionPlacement interface {
	Placement
	// WriteSets returns the replica sets a write of h must reach, the set
	// reads use among them, and done, to call once the write finished:
	// a node acknowledges a new layout version only when the writes it
	// started under an older one are done.
	WriteSets(h PartitionHash) (sets []WriteSet, done func())
}
