package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/garage-web/garage-web/internal/delayproxy"
)

// GarageCluster starts a garage-web cluster of Nodes storage nodes, one
// per zone ("site-a", "site-b", ...), replication factor 3, on loopback.
// Every node's RPC port (TCP, and UDP for gossip) is reached by its peers
// only through its own delayproxy.Proxy: rpc_public_addr is the proxy's address.
// A node's outgoing traffic is not delayed by its own proxy but by the
// peer's, so between any two nodes a round trip costs 2×OneWay. The target's
// only endpoint is the first node ("site A"): the client sits next to it.
type GarageCluster struct {
	Bin    string
	Nodes  int           // default 3
	OneWay time.Duration // delay added in each direction into a node
	// ConsistencyMode is consistency_mode ("" = consistent, the default).
	ConsistencyMode string
	// Direct: nodes reach each other's RPC ports directly, with no proxy
	// (OneWay and SetDelay then do nothing). For throughput rows, where
	// the proxies would spend the client's CPU copying every RPC.
	Direct bool

	procs   []*proc
	proxies []*delayproxy.Proxy
	nodes   []clusterNode
	s3Addrs []string // every node's S3 API, node A first
}

var _ Launcher = (*GarageCluster)(nil)

type clusterNode struct {
	name, cfg, admin, token, rpcPublic, zone string
}

// Name is the target's name in reports.
func (g *GarageCluster) Name() string { return "garage-web" }

// Zones of nodes 0, 1, 2, ...
func siteName(i int) string { return "site-" + string(rune('a'+i)) }

// formTimeout bounds joining, the layout and the key once nodes are up.
const formTimeout = 90 * time.Second

var nodeIDRe = regexp.MustCompile(`\b([0-9a-f]{64})@(\S+)`)

// Start starts the nodes and their proxies, joins them, applies a layout
// (every node in its own zone, 1G each) seen by every node, and creates a
// key allowed to create buckets.
func (g *GarageCluster) Start(ctx context.Context, dir string) (*Target, error) {
	if g.Nodes == 0 {
		g.Nodes = 3
	}
	secret := randHex(32)
	var s3Addrs []string
	for i := range g.Nodes {
		ports, err := freePorts(5)
		if err != nil {
			return nil, err
		}
		addr := func(k int) string { return "127.0.0.1:" + strconv.Itoa(ports[k]) }
		s3Addr, webAddr, adminAddr, rpcAddr, pubAddr := addr(0), addr(1), addr(2), addr(3), addr(4)
		ndir := filepath.Join(dir, siteName(i))
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			return nil, err
		}
		if g.Direct {
			pubAddr = rpcAddr
		} else {
			p, err := delayproxy.New(siteName(i), pubAddr, rpcAddr, g.OneWay, true)
			if err != nil {
				return nil, err
			}
			g.proxies = append(g.proxies, p)
		}
		n := clusterNode{name: siteName(i), cfg: filepath.Join(ndir, "garage-web.toml"), admin: adminAddr, token: randHex(16), rpcPublic: pubAddr, zone: siteName(i)}
		mode := ""
		if g.ConsistencyMode != "" {
			mode = fmt.Sprintf("consistency_mode = %q\n", g.ConsistencyMode)
		}
		cfg := fmt.Sprintf(`metadata_dir = %q
data_dir = %q
replication_factor = 3
%srpc_bind_addr = %q
rpc_public_addr = %q
rpc_secret = %q
bootstrap_peers = []

[s3_api]
api_bind_addr = %q
s3_region = "garage"
root_domain = ".s3.localhost"

[s3_web]
bind_addr = %q
root_domain = ".web.localhost"

[admin]
api_bind_addr = %q
admin_token = %q
`, filepath.Join(ndir, "meta"), filepath.Join(ndir, "data"), mode, rpcAddr, pubAddr, secret, s3Addr, webAddr, adminAddr, n.token)
		if err := os.WriteFile(n.cfg, []byte(cfg), 0o600); err != nil {
			return nil, err
		}
		pr, err := startProc(filepath.Join(ndir, "garage-web.log"), nil, g.Bin, "server", "-c", n.cfg)
		if err != nil {
			return nil, err
		}
		g.procs = append(g.procs, pr)
		g.nodes = append(g.nodes, n)
		s3Addrs = append(s3Addrs, s3Addr)
	}
	for i, n := range g.nodes {
		if err := g.procs[i].waitHTTP(ctx, "http://"+n.admin+"/health"); err != nil {
			return nil, fmt.Errorf("%s: %w", n.name, err)
		}
	}
	fctx, cancel := context.WithTimeout(ctx, formTimeout)
	defer cancel()
	key, err := g.form(fctx)
	if err != nil {
		return nil, err
	}
	g.s3Addrs = s3Addrs
	var pids []int
	for _, p := range g.procs {
		pids = append(pids, p.pid())
	}
	return &Target{
		Name:      g.Name(),
		Endpoints: []string{"http://" + s3Addrs[0]},
		Region:    "garage",
		AccessKey: key[0],
		SecretKey: key[1],
		PIDs:      pids,
		DataDir:   dir,
		Lacks:     map[string]bool{FeatureWebsite: true},
	}, nil
}

// form joins the nodes through node A, applies layout version 1 and
// returns a new access key (id, secret).
func (g *GarageCluster) form(ctx context.Context) ([2]string, error) {
	var none [2]string
	ids := make([]string, len(g.nodes))
	for i := range g.nodes {
		out, err := g.cli(ctx, i, "node", "id")
		if err != nil {
			return none, err
		}
		m := nodeIDRe.FindStringSubmatch(string(out))
		if m == nil {
			return none, fmt.Errorf("%s: `node id` printed %q, want ID@ADDR", g.nodes[i].name, out)
		}
		ids[i] = m[1]
	}
	for i := 1; i < len(g.nodes); i++ {
		if _, err := g.cli(ctx, 0, "node", "connect", ids[i]+"@"+g.nodes[i].rpcPublic); err != nil {
			return none, err
		}
	}
	for i := range g.nodes {
		if err := g.waitAdmin(ctx, i, "/v2/GetClusterStatus", "every node up", func(b []byte) error {
			var st struct {
				Nodes []struct {
					ID   string `json:"id"`
					IsUp bool   `json:"isUp"`
				} `json:"nodes"`
			}
			if err := json.Unmarshal(b, &st); err != nil {
				return err
			}
			up := map[string]bool{}
			for _, n := range st.Nodes {
				up[n.ID] = n.IsUp
			}
			for j, id := range ids {
				if !up[id] {
					return fmt.Errorf("%s not up", g.nodes[j].name)
				}
			}
			return nil
		}); err != nil {
			return none, err
		}
	}
	for i, id := range ids {
		if _, err := g.cli(ctx, 0, "layout", "assign", "-z", g.nodes[i].zone, "--capacity", "1G", id); err != nil {
			return none, err
		}
	}
	if _, err := g.cli(ctx, 0, "layout", "apply", "--version", "1"); err != nil {
		return none, err
	}
	for i := range g.nodes {
		if err := g.waitAdmin(ctx, i, "/v2/GetClusterLayout", "layout version 1", func(b []byte) error {
			var l struct {
				Version int `json:"version"`
			}
			if err := json.Unmarshal(b, &l); err != nil {
				return err
			}
			if l.Version < 1 {
				return fmt.Errorf("at version %d", l.Version)
			}
			return nil
		}); err != nil {
			return none, err
		}
	}
	out, err := g.cli(ctx, 0, "key", "create", "bench", "--json")
	if err != nil {
		return none, err
	}
	var k struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.Unmarshal(out, &k); err != nil || k.AccessKeyID == "" {
		return none, fmt.Errorf("garage-web key create --json: unexpected output %q (%v)", out, err)
	}
	if _, err := g.cli(ctx, 0, "key", "allow", "--create-bucket", k.AccessKeyID); err != nil {
		return none, err
	}
	for i := range g.nodes {
		if err := g.waitAdmin(ctx, i, "/metrics", "read leases on every partition", leasesReady); err != nil {
			return none, err
		}
	}
	return [2]string{k.AccessKeyID, k.SecretAccessKey}, nil
}

// leasesReady accepts a node's /metrics once it reads every partition
// from its own copy (garageweb_read_lease_partitions 256), or when it
// has no read leases at all (read_lease = "0s", another mode, or a
// version without them): measured reads then start in steady state.
func leasesReady(b []byte) error {
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(line, "garageweb_read_lease_partitions ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || n < 256 {
			return fmt.Errorf("reads %s of 256 partitions locally", strings.TrimSpace(v))
		}
		return nil
	}
	return nil
}

// waitAdmin polls an admin API path of node i until ok accepts its body.
func (g *GarageCluster) waitAdmin(ctx context.Context, i int, path, what string, ok func([]byte) error) error {
	n := g.nodes[i]
	c := &http.Client{Timeout: 5 * time.Second}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.admin+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+n.token)
		resp, err := c.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case rerr != nil:
				last = rerr
			case resp.StatusCode != http.StatusOK:
				last = fmt.Errorf("%s: %s", resp.Status, short(string(b)))
			default:
				last = ok(b)
			}
		} else {
			last = err
		}
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for %s: %w (last: %v)", n.name, what, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cli runs garage-web -c CONFIG-of-node-i args... and returns its stdout.
func (g *GarageCluster) cli(ctx context.Context, i int, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, g.Bin, append([]string{"-c", g.nodes[i].cfg}, args...)...).Output()
	if err != nil {
		msg := ""
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = string(ee.Stderr)
		}
		return nil, fmt.Errorf("%s: garage-web %v: %w\n%s", g.nodes[i].name, args, err, msg)
	}
	return out, nil
}

// SetDelay changes the one-way delay of every node's proxy.
func (g *GarageCluster) SetDelay(oneWay time.Duration) error {
	for _, p := range g.proxies {
		if err := p.SetDelay(oneWay); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops the nodes, then the proxies.
func (g *GarageCluster) Stop() error {
	var errs []error
	for i, p := range g.procs {
		if err := p.stop(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", g.nodes[i].name, err))
		}
	}
	for _, p := range g.proxies {
		p.Close()
	}
	g.procs, g.proxies, g.nodes = nil, nil, nil
	return errors.Join(errs...)
}
