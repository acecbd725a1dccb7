package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MinioCluster starts MinIO in distributed mode: Nodes processes (sites)
// with Drives drives each, one erasure set, on loopback, every node
// reaching the others only through delaying proxies.
//
// MinIO needs the same endpoint list on every node and finds itself in it
// (a host that resolves to a local address, with its own port), so the
// endpoints are host names, resolved differently in each process: every
// node runs in its own mount namespace (`unshare -m`, root only) with its
// own /etc/hosts bind-mounted, where its own name is 127.0.0.1 and every
// other node's name is the address of that node's proxy (another loopback
// address, same port, which MinIO does not take for itself). The client
// talks to node A directly.
type MinioCluster struct {
	Bin    string
	Nodes  int // default 2 (the "2 sites")
	Drives int // per node; default 2 (distributed mode needs 4 in all)
	OneWay time.Duration

	procs   []*proc
	proxies []*DelayProxy
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
	if os.Geteuid() != 0 {
		return nil, errors.New("MinIO distributed behind proxies needs root (a mount namespace per node for its /etc/hosts)")
	}
	ports, err := freePorts(2 * m.Nodes)
	if err != nil {
		return nil, err
	}
	// The proxies' address: a random 127.x.y.z, away from 127.0.0.1.
	var r [2]byte
	rand.Read(r[:])
	proxyIP := fmt.Sprintf("127.%d.%d.%d", 100+r[0]%100, r[1], 7)
	host := func(i int) string { return "minio-" + siteName(i) }
	port := func(i int) string { return strconv.Itoa(ports[2*i]) }
	var endpoints []string
	for i := range m.Nodes {
		for d := range m.Drives {
			endpoints = append(endpoints, fmt.Sprintf("http://%s:%s%s", host(i), port(i), filepath.Join(dir, siteName(i), fmt.Sprintf("d%d", d+1))))
		}
		p, err := NewDelayProxy("minio-"+siteName(i), proxyIP+":"+port(i), "127.0.0.1:"+port(i), m.OneWay, false)
		if err != nil {
			return nil, err
		}
		m.proxies = append(m.proxies, p)
	}
	user, pass := "bench"+randHex(4), randHex(16)
	env := []string{
		"MINIO_ROOT_USER=" + user,
		"MINIO_ROOT_PASSWORD=" + pass,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	}
	for i := range m.Nodes {
		ndir := filepath.Join(dir, siteName(i))
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			return nil, err
		}
		var hosts strings.Builder
		hosts.WriteString("127.0.0.1 localhost\n::1 localhost\n")
		for j := range m.Nodes {
			ip := proxyIP
			if j == i {
				ip = "127.0.0.1"
			}
			fmt.Fprintf(&hosts, "%s %s\n", ip, host(j))
		}
		hostsFile := filepath.Join(ndir, "hosts")
		if err := os.WriteFile(hostsFile, []byte(hosts.String()), 0o644); err != nil {
			return nil, err
		}
		args := []string{"-m", "--propagation", "private", "sh", "-c", `mount --bind "$0" /etc/hosts && exec "$@"`, hostsFile,
			m.Bin, "server", "--address", "127.0.0.1:" + port(i), "--console-address", "127.0.0.1:" + strconv.Itoa(ports[2*i+1]), "--quiet"}
		p, err := startProc(filepath.Join(ndir, "minio.log"), env, "unshare", append(args, endpoints...)...)
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
