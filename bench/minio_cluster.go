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
// only through delaying proxies.
//
// MinIO needs the same endpoint list on every node and finds itself in it
// (an endpoint whose host is a local address and whose port is its own),
// and, when it believes it runs in a container (/.dockerenv, as here), it
// refuses endpoints that resolve to loopback. So the endpoints name
// ProxyIP, an address that is not loopback but exists only inside a
// network namespace made for the run (bench/cluster-netns.sh, which
// `make bench-cluster` uses): node i listens on 127.0.0.1:P_i, its proxy
// on ProxyIP:P_i, every endpoint is http://ProxyIP:P_i/..., and each node
// is told which endpoint is its own with _MINIO_SERVER_LOCAL (MinIO's
// switch for orchestrated deployments). The client talks to node A on
// 127.0.0.1.
type MinioCluster struct {
	Bin    string
	Nodes  int // default 2 (the "2 sites")
	Drives int // per node; default 2 (distributed mode needs 4 in all)
	OneWay time.Duration
	// ProxyIP is the non-loopback address of a network namespace of the
	// run's own; required.
	ProxyIP string

	procs   []*proc
	proxies []*delayproxy.Proxy
}

var _ DelayLauncher = (*MinioCluster)(nil)

// Name is the target's name in reports.
func (m *MinioCluster) Name() string { return "MinIO" }

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
	return fmt.Sprintf("distributed, %d nodes on %d sites × %d drives (one erasure set of %d, default parity), MINIO_CI_CD=1; client next to node A", m.Nodes, m.Nodes, m.Drives, m.Nodes*m.Drives)
}

// Start starts the proxies and nodes and waits until node A reports the
// cluster writable.
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
	port := func(i int) string { return strconv.Itoa(ports[2*i]) }
	var endpoints []string
	for i := range m.Nodes {
		for d := range m.Drives {
			endpoints = append(endpoints, fmt.Sprintf("http://%s:%s%s", ip, port(i), filepath.Join(dir, siteName(i), fmt.Sprintf("d%d", d+1))))
		}
		p, err := delayproxy.New("minio-"+siteName(i), net.JoinHostPort(ip, port(i)), "127.0.0.1:"+port(i), m.OneWay, false)
		if err != nil {
			return nil, err
		}
		m.proxies = append(m.proxies, p)
	}
	user, pass := "bench"+randHex(4), randHex(16)
	for i := range m.Nodes {
		ndir := filepath.Join(dir, siteName(i))
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			return nil, err
		}
		env := []string{
			"MINIO_ROOT_USER=" + user,
			"MINIO_ROOT_PASSWORD=" + pass,
			"MINIO_BROWSER=off",
			"MINIO_UPDATE=off",
			"MINIO_CI_CD=1",
			"_MINIO_SERVER_LOCAL=" + net.JoinHostPort(ip, port(i)),
		}
		args := append([]string{"server", "--address", "127.0.0.1:" + port(i), "--console-address", "127.0.0.1:" + strconv.Itoa(ports[2*i+1]), "--quiet"}, endpoints...)
		p, err := startProc(filepath.Join(ndir, "minio.log"), env, m.Bin, args...)
		if err != nil {
			return nil, err
		}
		m.procs = append(m.procs, p)
	}
	for i, p := range m.procs {
		if err := p.waitHTTP(ctx, "http://127.0.0.1:"+port(i)+"/minio/health/ready"); err != nil {
			return nil, fmt.Errorf("MinIO %s: %w", siteName(i), err)
		}
	}
	if err := m.procs[0].waitHTTP(ctx, "http://127.0.0.1:"+port(0)+"/minio/health/cluster"); err != nil {
		return nil, fmt.Errorf("MinIO cluster write quorum: %w", err)
	}
	var pids []int
	for _, p := range m.procs {
		pids = append(pids, p.pid())
	}
	return &Target{
		Name:      m.Name(),
		Endpoints: []string{"http://127.0.0.1:" + port(0)},
		Region:    "us-east-1",
		AccessKey: user,
		SecretKey: pass,
		PIDs:      pids,
		DataDir:   dir,
		Lacks:     map[string]bool{FeatureWebsite: true},
	}, nil
}

// SetDelay changes the one-way delay of every node's proxy.
func (m *MinioCluster) SetDelay(oneWay time.Duration) error {
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
