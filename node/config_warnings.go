package node

import "fmt"

// Settings of the configuration file that the cluster does not honour as
// written. The node logs them at start (warn level) so that an operator
// who edits the file and restarts sees that nothing changed.

// layoutFacts is what configWarnings needs of the stored layout.
type layoutFacts struct {
	version           uint64 // 0: none applied yet
	replicationFactor int    // of the applied version
}

// configWarnings returns one line per setting that has no effect.
//
//   - replication_factor only seeds the first layout: once a layout is
//     applied, its own factor rules (changed with `layout config -r N`).
//   - replication_factor > 1 on a node with no bootstrap_peers and no
//     layout: the node does not lay itself out (only a replication factor
//     1 node with no peers does) and serves nothing until other nodes join
//     and a layout is applied.
//
// bootstrap_peers are always honoured (the node retries until one answers,
// and logs each failure), so they need no warning here.
func configWarnings(rf int, peers []string, l layoutFacts) []string {
	var out []string
	switch {
	case l.version > 0 && rf != l.replicationFactor:
		out = append(out, fmt.Sprintf(
			"replication_factor = %d in the configuration has no effect: the applied layout (version %d) keeps %d copies; change it with 'garage-web layout config -r %d' and 'garage-web layout apply'",
			rf, l.version, l.replicationFactor, rf))
	case l.version == 0 && rf > 1 && len(peers) == 0:
		out = append(out, fmt.Sprintf(
			"replication_factor = %d with no bootstrap_peers: this node waits for %d nodes and a layout before it serves; for a single node set replication_factor = 1",
			rf, rf))
	}
	return out
}

// logConfigWarnings logs configWarnings for this node.
func (c *clusterNode) logConfigWarnings() {
	l := c.layout.Get()
	facts := layoutFacts{version: l.Version()}
	if facts.version > 0 {
		facts.replicationFactor = l.ReplicationFactor()
	}
	for _, w := range configWarnings(c.cfg.ReplicationFactor, c.cfg.BootstrapPeers, facts) {
		c.log.Warn(w)
	}
}
