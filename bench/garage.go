package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Garage starts a single garage-web node from Bin with a fresh config.
type Garage struct {
	Bin       string // path to the garage-web binary
	BlockSize int64  // 0: 1 MiB
	// Compression is the zstd level (0: none, the fair setting against
	// MinIO, which does not compress by default).
	Compression int

	p   *proc
	cfg string
}

// benchGCDelay is gc_delay in the bench config: deleted entries are
// collected within seconds, so that the churn scenario sees the size a
// node settles at (the default, 24h, keeps a day of tombstones).
const benchGCDelay = "1s"

var _ Launcher = (*Garage)(nil)

func (g *Garage) Name() string { return "garage-web" }

func (g *Garage) Start(ctx context.Context, dir string) (*Target, error) {
	if g.BlockSize == 0 {
		g.BlockSize = 1 << 20
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	s3Addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	webAddr := fmt.Sprintf("127.0.0.1:%d", ports[1])
	adminAddr := fmt.Sprintf("127.0.0.1:%d", ports[2])
	rpcAddr := fmt.Sprintf("127.0.0.1:%d", ports[3])
	dataDir := filepath.Join(dir, "data")
	metricsToken := randHex(16)
	g.cfg = filepath.Join(dir, "garage-web.toml")
	cfg := fmt.Sprintf(`metadata_dir = %q
data_dir = %q
replication_factor = 1
rpc_bind_addr = %q
rpc_secret = %q
compression_level = %d
block_size = %d
gc_delay = %q

[s3_api]
api_bind_addr = %q
s3_region = "garage"
root_domain = ".s3.localhost"

[s3_web]
bind_addr = %q
root_domain = ".web.localhost"
# No per-request log line, like the nginx reference (access_log off).
access_log = false

[admin]
api_bind_addr = %q
admin_token = %q
metrics_token = %q
`, filepath.Join(dir, "meta"), dataDir, rpcAddr, randHex(32), g.Compression, g.BlockSize, benchGCDelay,
		s3Addr, webAddr, adminAddr, randHex(16), metricsToken)
	if err := os.WriteFile(g.cfg, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	g.p, err = startProc(filepath.Join(dir, "garage-web.log"), nil, g.Bin, "server", "-c", g.cfg)
	if err != nil {
		return nil, err
	}
	if err := g.p.waitHTTP(ctx, "http://"+adminAddr+"/health"); err != nil {
		return nil, err
	}
	out, err := g.cli(ctx, "key", "create", "bench", "--json")
	if err != nil {
		return nil, err
	}
	var k struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.Unmarshal(out, &k); err != nil || k.AccessKeyID == "" {
		return nil, fmt.Errorf("garage-web key create --json: unexpected output %q (%v)", out, err)
	}
	if _, err := g.cli(ctx, "key", "allow", "--create-bucket", k.AccessKeyID); err != nil {
		return nil, err
	}
	m := &metricsReader{url: "http://" + adminAddr + "/metrics", token: metricsToken}
	return &Target{
		MetaSize:      m.metaSize,
		Collected:     m.collected,
		Settle:        m.settle,
		Name:          g.Name(),
		Endpoints:     []string{"http://" + s3Addr},
		WebEndpoint:   "http://" + webAddr,
		WebRootDomain: "web.localhost",
		Region:        "garage",
		AccessKey:     k.AccessKeyID,
		SecretKey:     k.SecretAccessKey,
		PIDs:          []int{g.p.pid()},
		DataDir:       dataDir,
	}, nil
}

// cli runs garage-web -c CONFIG args... and returns its stdout.
func (g *Garage) cli(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.Bin, append([]string{"-c", g.cfg}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		return nil, fmt.Errorf("garage-web %v: %w\n%s", args, err, msg)
	}
	return out, nil
}

func (g *Garage) Stop() error { return g.p.stop() }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
