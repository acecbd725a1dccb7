package cluster_test

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

func node(b byte) cluster.NodeID {
	var id cluster.NodeID
	id[0] = b
	return id
}

// Three sites, one node each, a fourth node added later: stage, preview,
// apply with the next version number, then look up a partition.
func ExampleLayout() {
	l, _ := cluster.NewLayout(cluster.DefaultReplicationFactor)
	for i, zone := range []string{"paris", "london", "brussels"} {
		capacity, _ := cluster.ParseCapacity("1T")
		_ = l.Stage(node(byte(i+1)), cluster.Role{Zone: zone, Capacity: capacity})
	}
	plan, err := l.Preview()
	fmt.Println("preview:", plan.Version, err)
	if _, err := l.Apply(2, time.Now()); err != nil {
		fmt.Println(err)
	}
	plan, _ = l.Apply(1, time.Now())
	fmt.Println("applied version", l.Version(), "usable", cluster.FormatCapacity(plan.UsableCapacity))

	// A second node in paris, twice as big: it takes 2/3 of paris's share.
	_ = l.Stage(node(4), cluster.Role{Zone: "paris", Capacity: 2e12})
	plan, _ = l.Apply(2, time.Now())
	for _, n := range plan.Nodes {
		fmt.Printf("%s %-8s %3d partitions\n", n.ID.Short()[:2], n.Role.Zone, n.Partitions)
	}
	fmt.Println("moved replicas:", plan.Moves)

	key := sha256.Sum256([]byte("my-bucket"))
	p := cluster.Partition(key)
	fmt.Println("replicas of a partition:", len(l.Replicas(p)))
	// Output:
	// preview: 1 <nil>
	// wrong layout version: apply version 2, but the current version is 0: apply version 1
	// applied version 1 usable 1.00 TB
	// 01 paris     85 partitions
	// 02 london   256 partitions
	// 03 brussels 256 partitions
	// 04 paris    171 partitions
	// moved replicas: 171
	// replicas of a partition: 3
}

func ExampleParseCapacity() {
	for _, s := range []string{"1T", "500G", "10GB", "1TiB", "1000", "1X"} {
		n, err := cluster.ParseCapacity(s)
		fmt.Println(s, n, err)
	}
	// Output:
	// 1T 1000000000000 <nil>
	// 500G 500000000000 <nil>
	// 10GB 10000000000 <nil>
	// 1TiB 1099511627776 <nil>
	// 1000 1000 <nil>
	// 1X 0 invalid capacity "1X": unknown unit "X" (K, M, G, T, P, E or KB, MB, ... for powers of 1000; Ki, Mi, ... or KiB, MiB, ... for powers of 1024)
}
