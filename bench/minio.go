package bench

import (
	"context"
	"fmt"
	"path/filepath"
)

// Minio starts a single-node, single-drive MinIO server from Bin.
type Minio struct {
	Bin string
	p   *proc
}

var _ Launcher = (*Minio)(nil)

func (m *Minio) Name() string { return "MinIO" }

func (m *Minio) Start(ctx context.Context, dir string) (*Target, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	user, pass := "bench"+randHex(4), randHex(16)
	dataDir := filepath.Join(dir, "data")
	env := []string{
		"MINIO_ROOT_USER=" + user,
		"MINIO_ROOT_PASSWORD=" + pass,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	}
	m.p, err = startProc(filepath.Join(dir, "minio.log"), env, m.Bin, "server", dataDir,
		"--address", addr, "--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), "--quiet")
	if err != nil {
		return nil, err
	}
	if err := m.p.waitHTTP(ctx, "http://"+addr+"/minio/health/ready"); err != nil {
		return nil, err
	}
	return &Target{
		Name:      m.Name(),
		Endpoints: []string{"http://" + addr},
		Region:    "us-east-1",
		AccessKey: user,
		SecretKey: pass,
		PIDs:      []int{m.p.pid()},
		DataDir:   dataDir,
		Lacks:     map[string]bool{FeatureWebsite: true},
	}, nil
}

func (m *Minio) Stop() error { return m.p.stop() }
