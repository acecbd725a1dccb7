package cluster

import (
	"fmt"
	"testing"
	"time"
)

// TestLayoutCapacityChange: 4 nodes in 4 zones (RF 3) hold 3/4 of the
// partitions each; node n0's capacity is raised so that it is given every
// partition. Once the change has finished, the partitions moved to n0 and
// off the others exactly as the new layout says (equal roots among
// holders, no entries or blocks on a node that lost a partition, blocks in
// place), and every object reads back from every node.
func TestLayoutCapacityChange(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 4})
	const bucket = "capacity"
	must(t, createBucket(ctx, c, c.Nodes[0], bucket))
	objs := newObjectSet()
	must(t, putMany(ctx, c, c.Nodes, bucket, "obj", 300, 8, objs))
	big := c.Nodes[0]
	before, _, err := readPlacement(big)
	must(t, err)
	held := func(pl placement, id string) int {
		n := 0
		for p := range pl {
			if pl[p][id] {
				n++
			}
		}
		return n
	}
	was := held(before, big.ID)

	v, err := c.applyLayout(ctx, big, []string{"layout", "assign", "-z", big.Zone, "--capacity", "10G", big.ID})
	must(t, err)
	must(t, c.WaitLayoutFinished(ctx, c.Nodes, v))
	pl, _, err := readPlacement(big)
	must(t, err)
	now := held(pl, big.ID)
	t.Logf("layout v%d: %s holds %d partitions, was %d", v, big.Name, now, was)
	if now <= was {
		t.Fatalf("raising %s's capacity moved no partition to it (%d, was %d)", big.Name, now, was)
	}
	waitConverged(ctx, t, "data placed as layout v"+fmt.Sprint(v)+" says",
		convergence{nodes: c.Nodes, pl: &pl, blocks: objs.blocks()}, convergeTimeout)
	for _, n := range c.Nodes {
		must(t, readAll(ctx, c, n, bucket, objs.snapshot()))
	}
}
