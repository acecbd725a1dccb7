package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/internal/delayproxy"
)

// ClusterOptions describe the cluster a test wants; zero values are the
// defaults.
type ClusterOptions struct {
	Nodes    int // storage nodes; default 3
	Gateways int // gateway nodes (no capacity) in front of them
	// Spares are nodes started and connected like the others but left out
	// of the first layout (for layout-change tests to assign later).
	Spares int
	// Zones is the zone of storage node i, then of spare j at index
	// Nodes+j; default z0, z1, ...
	Zones []string
	// ReplicationFactor is 1, 2 or 3; default 3.
	ReplicationFactor int
	// ConsistencyMode for every node; "" is consistent.
	ConsistencyMode string
	// Netns puts every node in its own network namespace behind a bridge
	// (root only), so links can be cut with Cluster.Net.
	Netns bool
	// Latency, if set, puts a delaying proxy in front of every node's RPC
	// port (TCP and UDP): peers reach the node through it, each direction
	// delayed by Latency, so a round trip to a node costs 2*Latency more.
	// On loopback the proxies run in the test process; with Netns they run
	// in a delayproxyd process in the hub namespace, listening on the hub's
	// bridge address (a port per node), so cutting a host's link still cuts
	// it off from every peer.
	Latency time.Duration
	// Configure, if set, edits every node's config before its first start
	// (e.g. short background-work delays).
	Configure func(*nodeConfig)
}

// Cluster is a running test cluster.
type Cluster struct {
	Nodes   []*Node // storage nodes then gateways
	Key     Key     // allowed to create buckets
	Secret  string  // rpc_secret
	Net     *Netns  // nil unless opts.Netns
	proxies []*delayproxy.Proxy
	opts    ClusterOptions
	layoutV int
}

// Storage is the storage nodes of the first layout, Gateways the gateway
// nodes, Spares the nodes outside the first layout.
func (c *Cluster) Storage() []*Node  { return c.Nodes[:c.opts.Nodes] }
func (c *Cluster) Gateways() []*Node { return c.Nodes[c.opts.Nodes : c.opts.Nodes+c.opts.Gateways] }
func (c *Cluster) Spares() []*Node   { return c.Nodes[c.opts.Nodes+c.opts.Gateways:] }

// nodeIDPattern is "ID@ADDR" as `node id` prints it.
var nodeIDPattern = regexp.MustCompile(`\b([0-9a-f]{64})@(\S+)`)

// startCluster starts and forms a cluster, or fails the test.
func startCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.ReplicationFactor == 0 {
		opts.ReplicationFactor = 3
	}
	for i := len(opts.Zones); i < opts.Nodes+opts.Spares; i++ {
		opts.Zones = append(opts.Zones, fmt.Sprintf("z%d", i))
	}
	c := &Cluster{Secret: randHex(32), opts: opts}
	total := opts.Nodes + opts.Gateways + opts.Spares

	// Cleanup order (LIFO): processes first (log tails printed while the
	// directory still exists), then proxies, then namespaces, then files.
	root := t.TempDir()
	if opts.Netns {
		c.Net = newNetns(t)
	}
	t.Cleanup(func() {
		for _, p := range c.proxies {
			p.Close()
		}
	})
	t.Cleanup(func() { c.shutdown(t) })

	ips := make([]string, total)
	if opts.Netns {
		for i := range ips {
			ip, err := c.Net.AddHost(hostName(i, opts))
			must(t, err)
			ips[i] = ip
		}
	} else {
		copy(ips, loopbackAddrs(t, total))
	}
	// With Netns and Latency, node i is reached through the hub's proxy on
	// HubIP:portRPCProx+i.
	var hubPub []string
	if opts.Netns && opts.Latency > 0 {
		var routes []hubRoute
		for i, ip := range ips {
			pub := net.JoinHostPort(c.Net.HubIP(), strconv.Itoa(portRPCProx+i))
			hubPub = append(hubPub, pub)
			routes = append(routes, hubRoute{listen: pub, upstream: net.JoinHostPort(ip, strconv.Itoa(portRPC))})
		}
		must(t, startHubProxies(t, c.Net, root, opts.Latency, routes))
	}
	for i := 0; i < total; i++ {
		name := hostName(i, opts)
		ip := ips[i]
		cfg := c.baseConfig(filepath.Join(root, name), ip)
		if opts.Configure != nil {
			opts.Configure(&cfg)
		}
		switch {
		case hubPub != nil:
			cfg.RPCPublicAddr = hubPub[i]
		case opts.Latency > 0:
			pub := net.JoinHostPort(ip, strconv.Itoa(portRPCProx))
			p, err := newDelayProxy(name, pub, cfg.RPCBindAddr, opts.Latency)
			must(t, err)
			c.proxies = append(c.proxies, p)
			cfg.RPCPublicAddr = pub
		}
		var ns string
		var dial func(context.Context, string, string) (net.Conn, error)
		if c.Net != nil {
			ns = c.Net.HostNS(name)
			dial = c.Net.DialContext
		}
		n, err := newNode(name, filepath.Join(root, name), cfg, ns, dial)
		must(t, err)
		switch {
		case i < opts.Nodes:
			n.Zone = opts.Zones[i]
		case i < opts.Nodes+opts.Gateways:
			n.Gateway = true
		default:
			n.Spare = true
			n.Zone = opts.Zones[i-opts.Gateways]
		}
		c.Nodes = append(c.Nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), formTimeout)
	defer cancel()
	if err := c.form(ctx); err != nil {
		t.Fatalf("forming a %d-node cluster: %v", total, err)
	}
	t.Logf("cluster up: %s; layout v%d; RF %d", c.describe(), c.layoutV, opts.ReplicationFactor)
	return c
}

func hostName(i int, opts ClusterOptions) string {
	switch {
	case i < opts.Nodes:
		return fmt.Sprintf("n%d", i)
	case i < opts.Nodes+opts.Gateways:
		return fmt.Sprintf("gw%d", i-opts.Nodes)
	}
	return fmt.Sprintf("s%d", i-opts.Nodes-opts.Gateways)
}

func (c *Cluster) baseConfig(dir, ip string) nodeConfig {
	hp := func(port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }
	var cfg nodeConfig
	cfg.MetadataDir = filepath.Join(dir, "meta")
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.ReplicationFactor = c.opts.ReplicationFactor
	cfg.ConsistencyMode = c.opts.ConsistencyMode
	cfg.RPCBindAddr = hp(portRPC)
	cfg.RPCSecret = c.Secret
	cfg.S3API.APIBindAddr = hp(portS3)
	cfg.S3API.S3Region = s3Region
	cfg.S3API.RootDomain = s3RootDomain
	cfg.S3Web.BindAddr = hp(portWeb)
	cfg.S3Web.RootDomain = webRootDomain
	cfg.Admin.APIBindAddr = hp(portAdmin)
	cfg.Admin.AdminToken = randHex(16)
	return cfg
}

func (c *Cluster) describe() string {
	var parts []string
	for _, n := range c.Nodes {
		role := "zone " + n.Zone
		switch {
		case n.Gateway:
			role = "gateway"
		case n.Spare:
			role = "spare, zone " + n.Zone
		}
		parts = append(parts, fmt.Sprintf("%s %.8s @%s (%s)", n.Name, n.ID, n.RPCAddr(), role))
	}
	return strings.Join(parts, ", ")
}

// form starts every node, learns ids, joins them, applies the layout and
// creates the test key.
func (c *Cluster) form(ctx context.Context) error {
	if err := c.each(func(n *Node) error { return n.Start(ctx) }); err != nil {
		return err
	}
	if err := c.each(func(n *Node) error {
		id, err := n.NodeID(ctx)
		n.ID = id
		return err
	}); err != nil {
		return err
	}
	// Everyone bootstraps from everyone else (used on restarts), and node 0
	// connects to each now.
	if err := c.each(func(n *Node) error {
		peers := c.peersOf(n) // outside UpdateConfig: it holds n's lock
		return n.UpdateConfig(func(cfg *nodeConfig) { cfg.BootstrapPeers = peers })
	}); err != nil {
		return err
	}
	n0 := c.Nodes[0]
	for _, n := range c.Nodes[1:] {
		if _, err := n0.CLI(ctx, "node", "connect", n.ID+"@"+n.RPCPublicAddr()); err != nil {
			return err
		}
	}
	if err := c.WaitAllUp(ctx, c.Nodes...); err != nil {
		return err
	}
	for _, n := range c.Nodes {
		if n.Spare {
			continue
		}
		args := []string{"layout", "assign"}
		if n.Gateway {
			zone := n.Zone
			if zone == "" {
				zone = "gateways"
			}
			args = append(args, "-z", zone, "--gateway")
		} else {
			args = append(args, "-z", n.Zone, "--capacity", "1G")
		}
		if _, err := n0.CLI(ctx, append(args, n.ID)...); err != nil {
			return err
		}
	}
	cur, err := n0.LayoutVersion(ctx)
	if err != nil {
		return err
	}
	c.layoutV = cur + 1
	if _, err := n0.CLI(ctx, "layout", "apply", "--version", strconv.Itoa(c.layoutV)); err != nil {
		return err
	}
	if err := c.WaitLayout(ctx, c.layoutV); err != nil {
		return err
	}
	k, err := n0.NewKey(ctx, "cluster-test")
	if err != nil {
		return err
	}
	c.Key = k
	return nil
}

// peersOf is every other node as ID@ADDR.
func (c *Cluster) peersOf(self *Node) []string {
	var ps []string
	for _, n := range c.Nodes {
		if n != self {
			ps = append(ps, n.ID+"@"+n.RPCPublicAddr())
		}
	}
	return ps
}

// each runs f on every node at once and joins the errors.
func (c *Cluster) each(f func(*Node) error) error {
	return eachNode(c.Nodes, f)
}

func eachNode(nodes []*Node, f func(*Node) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(n)
		}()
	}
	wg.Wait()
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return nil
}

// shutdown kills every node and, if the test failed, prints log tails.
func (c *Cluster) shutdown(t testing.TB) {
	for _, n := range c.Nodes {
		if err := n.shutdown(); err != nil {
			t.Errorf("%v", err)
		}
	}
	if t.Failed() {
		for _, n := range c.Nodes {
			t.Logf("---- %s log tail (%s) ----\n%s", n.Name, n.LogPath, n.LogTail())
		}
	}
}

// clusterStatus is the part of /v2/GetClusterStatus the tests read
// (Garage's field names).
type clusterStatus struct {
	LayoutVersion int `json:"layoutVersion"`
	Nodes         []struct {
		ID   string `json:"id"`
		IsUp bool   `json:"isUp"`
	} `json:"nodes"`
}

// Status is the node's view of the cluster.
func (n *Node) Status(ctx context.Context) (clusterStatus, error) {
	var st clusterStatus
	body, err := n.AdminGET(ctx, "/v2/GetClusterStatus")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("node %s: GetClusterStatus: %w: %s", n.Name, err, clip(string(body)))
	}
	return st, nil
}

// UpPeers is the set of node ids the node reports up.
func (n *Node) UpPeers(ctx context.Context) (map[string]bool, error) {
	st, err := n.Status(ctx)
	if err != nil {
		return nil, err
	}
	up := map[string]bool{}
	for _, p := range st.Nodes {
		if p.IsUp {
			up[p.ID] = true
		}
	}
	return up, nil
}

// LayoutVersion is the current layout version the node has.
func (n *Node) LayoutVersion(ctx context.Context) (int, error) {
	body, err := n.AdminGET(ctx, "/v2/GetClusterLayout")
	if err != nil {
		return 0, err
	}
	var l struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return 0, fmt.Errorf("node %s: GetClusterLayout: %w: %s", n.Name, err, clip(string(body)))
	}
	return l.Version, nil
}

// NodeID runs `node id` and returns the 64-hex id.
func (n *Node) NodeID(ctx context.Context) (string, error) {
	out, err := n.CLI(ctx, "node", "id")
	if err != nil {
		return "", err
	}
	m := nodeIDPattern.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("node %s: `node id` printed %q, want ID@ADDR with a 64-hex id", n.Name, strings.TrimSpace(out))
	}
	return m[1], nil
}

// NewKey creates an access key allowed to create buckets.
func (n *Node) NewKey(ctx context.Context, name string) (Key, error) {
	out, err := n.CLI(ctx, "key", "create", name, "--json")
	if err != nil {
		return Key{}, err
	}
	var k struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return Key{}, fmt.Errorf("node %s: key create --json: %v: %q", n.Name, err, out)
	}
	if _, err := n.CLI(ctx, "key", "allow", "--create-bucket", name); err != nil {
		return Key{}, err
	}
	return Key{ID: k.AccessKeyID, Secret: k.SecretAccessKey}, nil
}

// WaitAllUp waits until every node in watchers reports every node of the
// cluster up.
func (c *Cluster) WaitAllUp(ctx context.Context, watchers ...*Node) error {
	return c.WaitUp(ctx, watchers, c.Nodes)
}

// WaitUp waits until every watcher reports every node of want up.
func (c *Cluster) WaitUp(ctx context.Context, watchers, want []*Node) error {
	return eachNode(watchers, func(w *Node) error {
		return waitFor(ctx, w.Name+" to see "+names(want)+" up", func(ctx context.Context) error {
			up, err := w.UpPeers(ctx)
			if err != nil {
				return err
			}
			for _, n := range want {
				if !up[n.ID] {
					return fmt.Errorf("%s not up", n.Name)
				}
			}
			return nil
		})
	})
}

// WaitLayout waits until every running node reports layout version v.
func (c *Cluster) WaitLayout(ctx context.Context, v int) error {
	return c.each(func(n *Node) error {
		if !n.Running() {
			return nil
		}
		return waitFor(ctx, fmt.Sprintf("%s to report layout v%d", n.Name, v), func(ctx context.Context) error {
			got, err := n.LayoutVersion(ctx)
			if err != nil {
				return err
			}
			if got < v {
				return fmt.Errorf("at v%d", got)
			}
			return nil
		})
	})
}

func names(ns []*Node) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Name)
	}
	return strings.Join(s, ",")
}
