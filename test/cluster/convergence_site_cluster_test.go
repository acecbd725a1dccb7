package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestConvergeAfterSiteCut: 5 nodes in 3 zones (za: n0 n1, zb: n2 n3,
// zc: n4), RF 3, each node in its own network namespace, 50 ms between
// sites: every node is reached through a delaying proxy in the hub
// namespace (25 ms each way, so every node-to-node round trip costs 50 ms
// more), which sits behind the bridge, so a cut link cuts the proxied
// traffic too. Site zb is cut off as a whole: PUTs and GETs go on through
// the other two sites (every partition keeps one replica in za and one in
// zc, a quorum). After the heal, everything converges: for every table and
// partition its holders (from the layout) have equal roots and no other
// node has entries of it, every block is on the holders of its partition,
// and the objects written during the cut read back from the healed nodes.
//
// The nodes run memberlist's WAN timings (their addresses are not
// loopback), so the waits are generous. anti_entropy_interval is short
// here: the cut nodes never restart, so the periodic sync (or the one
// started when peers come back up) must find the difference.
const (
	// siteCutOneWay is the one-way delay between sites: 50 ms round trips.
	siteCutOneWay = 25 * time.Millisecond
	// siteCutConvergeTimeout is longer than convergeTimeout: every sync
	// round trip costs 50 ms more (converged after 28 s and 52 s here).
	siteCutConvergeTimeout = 4 * time.Minute
)

func TestConvergeAfterSiteCut(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 8*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 5, Netns: true, Latency: siteCutOneWay,
		Zones: []string{"za", "za", "zb", "zb", "zc"},
		Configure: func(cfg *nodeConfig) {
			cfg.AntiEntropyInterval = "10s"
		}})
	n := c.Nodes
	// Every node knows every other one at its address behind the hub
	// proxy: no traffic between nodes skips the delay.
	must(t, checkPeersViaHub(ctx, c))
	t.Logf("every node knows every peer at its hub proxy (%v each way)", siteCutOneWay)
	const bucket = "sitecut"
	must(t, createBucket(ctx, c, n[0], bucket))
	objs := newObjectSet()
	must(t, putMany(ctx, c, n, bucket, "before", 100, 10, objs))

	must(t, c.Net.Cut(n[2].Name, n[3].Name))
	t.Logf("site zb (%s, %s) cut off", n[2].Name, n[3].Name)
	up := []*Node{n[0], n[1], n[4]}
	during := newObjectSet()
	must(t, putMany(ctx, c, up, bucket, "during", 300, 10, during))
	cut := during.snapshot()
	for _, r := range up {
		if err := readAll(ctx, c, r, bucket, cut); err != nil {
			t.Fatalf("with zb cut off: %v", err)
		}
	}
	for _, r := range up {
		if err := readAll(ctx, c, r, bucket, objs.snapshot()); err != nil {
			t.Fatalf("objects from before the cut, with zb cut off: %v", err)
		}
	}
	t.Logf("with zb cut off: %d PUTs and %d GETs through za and zc, all ok", len(cut), 3*(len(cut)+objs.len()))

	must(t, c.Net.Heal(n[2].Name, n[3].Name))
	hctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.WaitAllUp(hctx, c.Nodes...); err != nil {
		// Tell a network that did not come back from membership that did not.
		t.Logf("after the heal, TCP from %s to %s's RPC port: %v; to its proxy: %v", n[2].Name, n[0].Name,
			dialFrom(c.Net, n[2], n[0].RPCAddr()), dialFrom(c.Net, n[2], n[0].RPCPublicAddr()))
		t.Fatal(err)
	}
	t.Logf("healed zb; every node sees every node up")
	for k, v := range cut {
		objs.add(k, v)
	}
	pl, v, err := readPlacement(n[0])
	must(t, err)
	t.Logf("placement from %s's layout v%d", n[0].Name, v)
	waitConverged(ctx, t, "all sites converged", convergence{nodes: c.Nodes, pl: &pl, blocks: objs.blocks()}, siteCutConvergeTimeout)
	for _, r := range []*Node{n[2], n[3]} {
		if err := readAll(ctx, c, r, bucket, cut); err != nil {
			t.Fatal(fmt.Errorf("after the heal: %w", err))
		}
		t.Logf("%s: all %d objects written during the cut read back", r.Name, len(cut))
	}
}

// dialFrom opens (and closes) a TCP connection from n's namespace to addr.
func dialFrom(nw *Netns, n *Node, addr string) error {
	return inNamespace(nw.HostNS(n.Name), func() error {
		conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	})
}

// checkPeersViaHub checks that every node reports every other node at its
// rpc_public_addr on the hub's bridge address (its delaying proxy).
func checkPeersViaHub(ctx context.Context, c *Cluster) error {
	byID := map[string]*Node{}
	for _, n := range c.Nodes {
		byID[n.ID] = n
	}
	return c.each(func(w *Node) error {
		body, err := w.AdminGET(ctx, "/v2/GetClusterStatus")
		if err != nil {
			return err
		}
		var st struct {
			Nodes []struct {
				ID   string `json:"id"`
				Addr string `json:"addr"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(body, &st); err != nil {
			return fmt.Errorf("node %s: GetClusterStatus: %w", w.Name, err)
		}
		seen := 0
		for _, p := range st.Nodes {
			peer := byID[p.ID]
			if peer == nil || peer == w {
				continue
			}
			seen++
			if p.Addr != peer.RPCPublicAddr() || !strings.HasPrefix(p.Addr, c.Net.HubIP()+":") {
				return fmt.Errorf("node %s knows %s at %q, want its hub proxy %s", w.Name, peer.Name, p.Addr, peer.RPCPublicAddr())
			}
		}
		if seen != len(c.Nodes)-1 {
			return fmt.Errorf("node %s reports %d peers, want %d", w.Name, seen, len(c.Nodes)-1)
		}
		return nil
	})
}
