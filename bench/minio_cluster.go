package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/garage-web/garage-web/internal/delayproxy"
)

// MinioCluster starts MinIO in distributed mode: Nodes processes (sites)
// with Drives drives each, one erasure set, every node reaching the others
// only through delaying proxies, or, with Direct, straight.
//
// MinIO needs the same endpoint list on every node and finds itself in it
// (an endpoint whose host is a local address and whose port is its own),
// and, when it believes it runs in a container (/.dockerenv, as here), it
// refuses endpoints that resolve to loopback. So the endpoints name
// ProxyIP, an address that is not loopback but exists only inside a
// network namespace made for the run (bench/cluster-netns.sh, which
// `make bench-cluster` and `make bench` use). With proxies, node i listens
// on 127.0.0.1:P_i, its proxy on ProxyIP:P_i, every endpoint is
// http://ProxyIP:P_i/..., and each node is told which endpoint is its own
// with _MINIO_SERVER_LOCAL (MinIO's switch for orchestrated deployments);
// the client talks to node A on 127.0.0.1. Direct (the throughput rows of
// `make bench`, beside garage-web's Direct cluster) has no proxy: node i
// listens on ProxyIP:P_i itself and the client is given every node's
// endpoint.
type MinioCluster struct {
	Bin    string
	Nodes  int // default 2 (the "2 sites")
	Drives int // per node; default 2 (distributed mode needs 4 in all)
	OneWay time.Duration
	// Direct: no proxies; the nodes listen on ProxyIP and the target has
	// every node's S3 endpoint. SetDelay then fails.
	Direct bool
	// Label, if set, is the target's name in reports (default "MinIO").
	Label string
	// ProxyIP is the non-loopback address of a network namespace of the
	// run's own; required.
	ProxyIP string

	procs   []*proc
	proxies []*delayproxy.Proxy
}

var _ DelayLauncher = (*MinioCluster)(nil)

// Name is the target's name in reports.
func (m *MinioCluster) Name() string {
	if m.Label != "" {
		return m.Label
	}
	return MinioName
}

func (m *MinioCluster) defaults() {
	if m.Nodes == 0 {
		m.Nodes = 2
	}
	if m.Drives == 0 {
		m.Drives = 2
	}
}

// Setup describes the cluster.
func (m *MinioCluster) Setup() string {
	m.defaults()
	if m.Direct {
		return fmt.Sprintf("distributed, %d nodes × %d drives (one erasure set of %d, default parity), MINIO_CI_CD=1, no proxies; clients spread over every node", m.Nodes, m.Drives, m.Nodes*m.Drives)
	}
	return fmt.Sprintf("distributed, %d nodes on %d sites × %d drives (one erasure set of %d, default parity), MINIO_CI_CD=1; client next to node A", m.Nodes, m.Nodes, m.Drives, m.Nodes*m.Drives)
}

// minioNode is where one node of a MinioCluster listens and which
// endpoint of the shared list is its own.
type minioNode struct {
	Listen  string // S3 API address
	Console string
	Local   string // host:port of its own endpoints (_MINIO_SERVER_LOCAL)
	Proxy   string // its proxy's address, "" when Direct
	Dir     string
}

// plan lays the cluster out on ports (two per node: S3, console) and
// returns the endpoint list every node is given and each node's addresses.
func (m *MinioCluster) plan(ip, dir string, ports []int) ([]string, []minioNode) {
	var endpoints []string
	var nodes []minioNode
	for i := range m.Nodes {
		local := net.JoinHostPort(ip, strconv.Itoa(ports[2*i]))
		n := minioNode{
			Listen:  "127.0.0.1:" + strconv.Itoa(ports[2*i]),
			Console: "127.0.0.1:" + strconv.Itoa(ports[2*i+1]),
			Local:   local,
			Proxy:   local,
			Dir:     filepath.Join(dir, siteName(i)),
		}
		if m.Direct {
			n.Listen, n.Proxy = local, ""
		}
		nodes = append(nodes, n)
		for d := range m.Drives {
			endpoints = append(endpoints, "http://"+local+filepath.Join(n.Dir, fmt.Sprintf("d%d", d+1)))
		}
	}
	return endpoints, nodes
}

// Start starts the proxies (unless Direct) and nodes and waits until every
// node is ready and node A reports the cluster writable.
func (m *MinioCluster) Start(ctx context.Context, dir string) (*Target, error) {
	m.defaults()
	ip := m.ProxyIP
	if ip == "" {
		return nil, errors.New("MinIO distributed needs the address of a network namespace of the run's own (run it through bench/cluster-netns.sh)")
	}
	ports, err := freePorts(2 * m.Nodes)
	if err != nil {
		return nil, err
	}
	endpoints, nodes := m.plan(ip, dir, ports)
	for i, n := range nodes {
		if n.Proxy == "" {
			continue
		}
		p, err := delayproxy.New("minio-"+siteName(i), n.Proxy, n.Listen, m.OneWay, false)
		if err != nil {
			return nil, fmt.Errorf("MinIO %s proxy: %w", siteName(i), err)
		}
		m.proxies = append(m.proxies, p)
	}
	user, pass := "bench"+randHex(4), randHex(16)
	for i, n := range nodes {
		if err := os.MkdirAll(n.Dir, 0o755); err != nil {
			return nil, err
		}
		env := []string{
			"MINIO_ROOT_USER=" + user,
			"MINIO_ROOT_PASSWORD=" + pass,
			"MINIO_BROWSER=off",
			"MINIO_UPDATE=off",
			"MINIO_CI_CD=1",
			"_MINIO_SERVER_LOCAL=" + n.Local,
		}
		args := append([]string{"server", "--address", n.Listen, "--console-address", n.Console, "--quiet"}, endpoints...)
		p, err := startProc(filepath.Join(n.Dir, "minio.log"), env, m.Bin, args...)
		if err != nil {
			return nil, fmt.Errorf("MinIO %s: %w", siteName(i), err)
		}
		m.procs = append(m.procs, p)
	}
	for i, p := range m.procs {
		if err := p.waitHTTP(ctx, "http://"+nodes[i].Listen+"/minio/health/ready"); err != nil {
			return nil, fmt.Errorf("MinIO %s: %w", siteName(i), err)
		}
	}
	if err := m.procs[0].waitHTTP(ctx, "http://"+nodes[0].Listen+"/minio/health/cluster"); err != nil {
		return nil, fmt.Errorf("MinIO cluster write quorum: %w", err)
	}
	t := &Target{
		Name:      m.Name(),
		Endpoints: []string{"http://" + nodes[0].Listen},
		Region:    "us-east-1",
		AccessKey: user,
		SecretKey: pass,
		DataDir:   dir,
		Lacks:     map[string]bool{FeatureWebsite: true},
	}
	if m.Direct {
		t.Endpoints = nil
		for _, n := range nodes {
			t.Endpoints = append(t.Endpoints, "http://"+n.Listen)
		}
	}
	for _, p := range m.procs {
		t.PIDs = append(t.PIDs, p.pid())
	}
	return t, nil
}

// SetDelay changes the one-way delay of every node's proxy.
func (m *MinioCluster) SetDelay(oneWay time.Duration) error {
	if m.Direct {
		return errors.New("MinIO cluster: no delaying proxies in Direct mode")
	}
	for _, p := range m.proxies {
		if err := p.SetDelay(oneWay); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops the nodes, then the proxies.
func (m *MinioCluster) Stop() error {
	var errs []error
	for i, p := range m.procs {
		if err := p.stop(); err != nil {
			errs = append(errs, fmt.Errorf("MinIO %s: %w", siteName(i), err))
		}
	}
	for _, p := range m.proxies {
		p.Close()
	}
	m.procs, m.proxies = nil, nil
	return errors.Join(errs...)
}
