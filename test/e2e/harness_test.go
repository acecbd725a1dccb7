// Package e2e holds end-to-end tests that start the real garage-web binary
// as a subprocess and drive it with real S3 clients: aws-cli, rclone,
// s3cmd, boto3 and aws-sdk-go-v2.
//
// Harness contract:
//   - TestMain builds ./cmd/garage-web once per run (or uses the binary named
//     by GARAGE_WEB_E2E_BIN).
//   - startNode gives each test its own node: a temp dir, free 127.0.0.1
//     ports, a config file, a log file. t.Cleanup kills it and, if the test
//     failed, prints the tail of its log.
//   - GARAGE_WEB_E2E_CLUSTER=3 runs the SDK suites that start with
//     newReplicatedSDKEnv on a 3-node cluster instead (startCluster in
//     cluster_harness_test.go); every other test keeps its single node.
//   - A client binary that is missing is a test FAILURE naming the package
//     to install (.ci/run installs them all), never a skip.
//   - Tools run with a private environment (temp config files, no ~/.aws);
//     every subprocess has a deadline.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Limits that keep every test bounded.
const (
	buildTimeout   = 5 * time.Minute  // go build of the binary in TestMain
	readyTimeout   = 30 * time.Second // from process start to /health 200
	stopTimeout    = 15 * time.Second // SIGTERM grace before SIGKILL
	cliTimeout     = 60 * time.Second // one garage-web CLI call
	toolTimeout    = 5 * time.Minute  // one aws/rclone/s3cmd/python call
	logTailBytes   = 16 << 10         // node log printed on failure
	region         = "garage"
	pythonForBoto3 = "/usr/bin/python3" // Debian's python3-boto3 lives here
)

// garageBin is the binary under test, set by TestMain.
var garageBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if bin := os.Getenv("GARAGE_WEB_E2E_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: GARAGE_WEB_E2E_BIN: %v\n", err)
			return 1
		}
		garageBin = abs
		return m.Run()
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "garage-web-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	garageBin = filepath.Join(dir, "garage-web")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", garageBin, "./cmd/garage-web")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building ./cmd/garage-web failed: %v\n%s\n", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot is the directory holding go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// ---------------------------------------------------------------------------
// Nodes

// NodeOptions are the config knobs tests vary; zero values are the defaults.
type NodeOptions struct {
	CompressionLevel int // 0 = none
	BlockSize        int // 0 = 1 MiB
	NoFile           int // 0 = inherited; else the process's file-descriptor limit (prlimit)
}

// Node is one garage-web server process with its own dirs and ports.
type Node struct {
	Dir, ConfigPath, MetaDir, DataDir   string
	S3Addr, WebAddr, AdminAddr, RPCAddr string
	AdminToken, MetricsToken, RPCSecret string
	name                                string // "n0", "n1", ... in a cluster; "" alone
	logPath                             string
	noFile                              int // NodeOptions.NoFile

	mu   sync.Mutex
	proc *process // nil when not running
}

type process struct {
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	err      error         // cmd.Wait result, valid after done
	log      *os.File
	expected bool // we stopped it on purpose
}

// startNode starts a fresh single node with default options.
func startNode(t testing.TB) *Node {
	return startNodeWith(t, NodeOptions{})
}

func startNodeWith(t testing.TB, o NodeOptions) *Node {
	t.Helper()
	n := newNode(t, "", freePorts(t, nodePorts), o, nodeReplication{Factor: 1, Secret: randHex(t, 32)})
	n.Start(t)
	return n
}

// nodeReplication is what a node shares with the rest of its cluster: the
// replication factor and the rpc_secret (64 hex). A single node is factor 1
// with a secret of its own.
type nodeReplication struct {
	Factor int
	Secret string
}

// nodePorts is how many 127.0.0.1 ports a node listens on: S3, web, admin
// and RPC (TCP, and UDP for gossip).
const nodePorts = 4

// newNode writes a node's config for its nodePorts ports (S3, web, admin,
// RPC) and registers the cleanup that kills it (and prints its log tail if
// the test failed); it does not start it. name tells nodes of one cluster
// apart in logs.
func newNode(t testing.TB, name string, ports []int, o NodeOptions, r nodeReplication) *Node {
	t.Helper()
	if len(ports) != nodePorts {
		t.Fatalf("newNode: %d ports, want %d", len(ports), nodePorts)
	}
	if o.BlockSize == 0 {
		o.BlockSize = 1 << 20
	}
	dir := t.TempDir()
	n := &Node{
		Dir:          dir,
		ConfigPath:   filepath.Join(dir, "garage-web.toml"),
		MetaDir:      filepath.Join(dir, "meta"),
		DataDir:      filepath.Join(dir, "data"),
		S3Addr:       fmt.Sprintf("127.0.0.1:%d", ports[0]),
		WebAddr:      fmt.Sprintf("127.0.0.1:%d", ports[1]),
		AdminAddr:    fmt.Sprintf("127.0.0.1:%d", ports[2]),
		RPCAddr:      fmt.Sprintf("127.0.0.1:%d", ports[3]),
		AdminToken:   randHex(t, 16),
		MetricsToken: randHex(t, 16),
		RPCSecret:    r.Secret,
		name:         name,
		logPath:      filepath.Join(dir, "node.log"),
		noFile:       o.NoFile,
	}
	cfg := fmt.Sprintf(`metadata_dir = %q
data_dir = %q
replication_factor = %d
rpc_bind_addr = %q
rpc_secret = %q
compression_level = %d
block_size = %d

[s3_api]
api_bind_addr = %q
s3_region = %q
root_domain = ".s3.localhost"

[s3_web]
bind_addr = %q
root_domain = ".web.localhost"

[admin]
api_bind_addr = %q
admin_token = %q
metrics_token = %q
`, n.MetaDir, n.DataDir, r.Factor, n.RPCAddr, n.RPCSecret, o.CompressionLevel, o.BlockSize,
		n.S3Addr, region, n.WebAddr, n.AdminAddr, n.AdminToken, n.MetricsToken)
	if err := os.WriteFile(n.ConfigPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.mu.Lock()
		p := n.proc
		expected := p != nil && p.expected
		n.mu.Unlock()
		if p != nil {
			select {
			case <-p.done:
				if !expected {
					t.Errorf("garage-web exited on its own during the test: %v", p.err)
				}
			default:
			}
			n.killProc(p)
		}
		if t.Failed() {
			t.Logf("---- garage-web %slog tail (%s) ----\n%s", n.label(), n.logPath, n.LogTail())
		}
	})
	return n
}

// label is "NAME " for a node of a cluster, "" for a single node.
func (n *Node) label() string {
	if n.name == "" {
		return ""
	}
	return n.name + " "
}

// Start launches the server on the node's config and waits for /health.
func (n *Node) Start(t testing.TB) {
	t.Helper()
	n.mu.Lock()
	if n.proc != nil {
		n.mu.Unlock()
		t.Fatal("Start: node already running")
	}
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.mu.Unlock()
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "==== e2e: starting garage-web at %s ====\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(garageBin, "server", "-c", n.ConfigPath)
	if n.noFile > 0 {
		// prlimit execs the server: the pid is the server's.
		cmd = exec.Command("prlimit", fmt.Sprintf("--nofile=%d:%d", n.noFile, n.noFile), "--", garageBin, "server", "-c", n.ConfigPath)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		n.mu.Unlock()
		t.Fatalf("start garage-web: %v", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), log: logf}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	n.proc = p
	n.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	client := &http.Client{Timeout: time.Second}
	var last string
	for {
		select {
		case <-p.done:
			t.Fatalf("garage-web exited before becoming ready (%v); log:\n%s", p.err, n.LogTail())
		default:
		}
		resp, err := client.Get("http://" + n.AdminAddr + "/health")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("garage-web not ready after %v (last /health: %s); log:\n%s", readyTimeout, last, n.LogTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits; SIGKILL after stopTimeout.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	p := n.takeProc(t)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		t.Errorf("garage-web did not exit within %v of SIGTERM; sending SIGKILL", stopTimeout)
		n.killProc(p)
	}
}

// Restart is Stop then Start on the same dirs and ports.
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	n.Stop(t)
	n.Start(t)
}

// Kill9 SIGKILLs the server and waits for it to be gone. Safe to call from
// any goroutine: it reports problems as an error instead of failing t.
func (n *Node) Kill9() error {
	n.mu.Lock()
	p := n.proc
	n.proc = nil
	if p != nil {
		p.expected = true
	}
	n.mu.Unlock()
	if p == nil {
		return errors.New("Kill9: node not running")
	}
	return n.killProc(p)
}

func (n *Node) takeProc(t testing.TB) *process {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.proc
	if p == nil {
		t.Fatal("node not running")
	}
	n.proc = nil
	p.expected = true
	return p
}

func (n *Node) killProc(p *process) error {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("garage-web pid %d still alive 10s after SIGKILL", p.cmd.Process.Pid)
	}
}

// LogTail is the end of the node's log (all starts appended).
func (n *Node) LogTail() string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > logTailBytes {
		b = append([]byte("...[cut]...\n"), b[len(b)-logTailBytes:]...)
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// CLI, keys, buckets

// TryCLI runs `garage-web -c CONFIG args...`.
func (n *Node) TryCLI(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, garageBin, append([]string{"-c", n.ConfigPath}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// CLI runs the garage-web CLI and fails the test unless it exits 0.
func (n *Node) CLI(t testing.TB, args ...string) string {
	t.Helper()
	o, e, err := n.TryCLI(args...)
	if err != nil {
		t.Fatalf("garage-web %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, o, e)
	}
	return o
}

// Key is an S3 access key.
type Key struct{ ID, Secret string }

// NewKey creates an access key allowed to create buckets.
func (n *Node) NewKey(t testing.TB, name string) Key {
	t.Helper()
	out := n.CLI(t, "key", "create", name, "--json")
	var k struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatalf("key create --json: not JSON (%v): %q", err, out)
	}
	if k.AccessKeyID == "" || k.SecretAccessKey == "" {
		t.Fatalf("key create --json: empty accessKeyId or secretAccessKey: %q", out)
	}
	n.CLI(t, "key", "allow", "--create-bucket", k.AccessKeyID)
	return Key{ID: k.AccessKeyID, Secret: k.SecretAccessKey}
}

// CreateBucket creates a bucket through the CLI and gives k full rights.
func (n *Node) CreateBucket(t testing.TB, bucket string, k Key) {
	t.Helper()
	n.CLI(t, "bucket", "create", bucket)
	n.CLI(t, "bucket", "allow", "--read", "--write", "--owner", bucket, "--key", k.ID)
}

// S3URL is the path-style endpoint.
func (n *Node) S3URL() string { return "http://" + n.S3Addr }

// S3 is an aws-sdk-go-v2 client built without reading any config file.
func (n *Node) S3(k Key, optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""),
		HTTPClient:  awshttp.NewBuildableClient().WithTimeout(2 * time.Minute),
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(n.S3URL())
		o.UsePathStyle = true
	}}, optFns...)
	return s3.NewFromConfig(cfg, opts...)
}

// Metric sums every sample of a metric family from /metrics (any labels).
// ok is false when the metric is absent.
func (n *Node) Metric(t testing.TB, name string) (v float64, ok bool) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+n.AdminAddr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+n.MetricsToken)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s: %s", resp.Status, body)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // a longer metric name
		}
		if i := strings.LastIndexByte(rest, '}'); i >= 0 {
			rest = rest[i+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		f, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		v += f
		ok = true
	}
	return v, ok
}

// ---------------------------------------------------------------------------
// External tools

// requireTool fails (never skips) when a client binary is missing.
func requireTool(t testing.TB, name, debPkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: install it (apt-get install -y %s); .ci/run installs every client the e2e tests need", name, debPkg)
	}
	return p
}

// cleanEnv is the process environment without variables that would point a
// client at the user's own configuration or credentials.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "RCLONE_") ||
			strings.HasPrefix(k, "BOTO_") || k == "PYTHONPATH" || k == "PYTHONHOME" ||
			k == "S3CMD_CONFIG" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// Tool runs one external client with a fixed environment and fixed leading
// arguments.
type Tool struct {
	Name   string
	Path   string
	Env    []string
	Prefix []string // arguments put before the caller's
	Dir    string
}

// Run runs the tool and returns stdout, stderr and the exit error.
func (tl *Tool) Run(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tl.Path, append(append([]string{}, tl.Prefix...), args...)...)
	cmd.Env = tl.Env
	cmd.Dir = tl.Dir
	cmd.Stdin = nil
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s timed out after %v: %w", tl.Name, toolTimeout, err)
	}
	return o.String(), e.String(), err
}

// Must runs the tool and fails the test unless it exits 0; returns stdout.
func (tl *Tool) Must(t testing.TB, args ...string) string {
	t.Helper()
	o, e, err := tl.Run(args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", tl.Name, strings.Join(args, " "), err, clip(o), clip(e))
	}
	return o
}

func clip(s string) string {
	const max = 8 << 10
	if len(s) > max {
		return s[:max/2] + "\n...[cut]...\n" + s[len(s)-max/2:]
	}
	return s
}

// awsEnv is the environment for aws-cli and boto3: static credentials,
// region garage, path-style addressing and SigV4 from a temp config file.
func awsEnv(t testing.TB, k Key) []string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(conf, []byte("[default]\nregion = garage\ns3 =\n    addressing_style = path\n    signature_version = s3v4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return cleanEnv(
		"AWS_ACCESS_KEY_ID="+k.ID,
		"AWS_SECRET_ACCESS_KEY="+k.Secret,
		"AWS_REGION="+region,
		"AWS_DEFAULT_REGION="+region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+conf,
		"AWS_SHARED_CREDENTIALS_FILE="+creds,
		"AWS_PAGER=",
		"AWS_CLI_AUTO_PROMPT=off",
	)
}

// AWS is aws-cli pointed at the node.
func (n *Node) AWS(t testing.TB, k Key) *Tool {
	t.Helper()
	return &Tool{
		Name:   "aws",
		Path:   requireTool(t, "aws", "awscli"),
		Env:    awsEnv(t, k),
		Prefix: []string{"--endpoint-url", n.S3URL()},
	}
}

// Rclone is rclone with a remote "gw:" configured through the environment.
func (n *Node) Rclone(t testing.TB, k Key) *Tool {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &Tool{
		Name: "rclone",
		Path: requireTool(t, "rclone", "rclone"),
		Env: cleanEnv(
			"RCLONE_CONFIG="+conf,
			"RCLONE_CACHE_DIR="+filepath.Join(dir, "cache"),
			"RCLONE_CONFIG_GW_TYPE=s3",
			"RCLONE_CONFIG_GW_PROVIDER=Other",
			"RCLONE_CONFIG_GW_ENV_AUTH=false",
			"RCLONE_CONFIG_GW_ACCESS_KEY_ID="+k.ID,
			"RCLONE_CONFIG_GW_SECRET_ACCESS_KEY="+k.Secret,
			"RCLONE_CONFIG_GW_ENDPOINT="+n.S3URL(),
			"RCLONE_CONFIG_GW_REGION="+region,
			"RCLONE_CONFIG_GW_FORCE_PATH_STYLE=true",
			"AWS_EC2_METADATA_DISABLED=true",
		),
		// One try: retries would hide server errors.
		Prefix: []string{"--retries", "1", "--low-level-retries", "1"},
	}
}

// S3cmd is s3cmd with a temp config file (path style, SigV4, plain HTTP).
func (n *Node) S3cmd(t testing.TB, k Key) *Tool {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "s3cfg")
	cfg := fmt.Sprintf(`[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
bucket_location = %s
use_https = False
signature_v2 = False
check_ssl_certificate = False
guess_mime_type = True
`, k.ID, k.Secret, n.S3Addr, n.S3Addr, region)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Tool{
		Name:   "s3cmd",
		Path:   requireTool(t, "s3cmd", "s3cmd"),
		Env:    cleanEnv("AWS_EC2_METADATA_DISABLED=true"),
		Prefix: []string{"-c", conf},
	}
}

// Boto3 runs Debian's /usr/bin/python3 (with python3-boto3) in the AWS
// environment for k; the endpoint is passed as GW_ENDPOINT.
func (n *Node) Boto3(t testing.TB, k Key) *Tool {
	t.Helper()
	if _, err := os.Stat(pythonForBoto3); err != nil {
		t.Fatalf("%s missing: install python3-boto3 (apt-get install -y python3-boto3); .ci/run installs it", pythonForBoto3)
	}
	tl := &Tool{
		Name: "python3",
		Path: pythonForBoto3,
		Env:  append(awsEnv(t, k), "GW_ENDPOINT="+n.S3URL(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1"),
	}
	if _, e, err := tl.Run("-c", "import boto3"); err != nil {
		t.Fatalf("%s cannot import boto3 (%v): install python3-boto3 (apt-get install -y python3-boto3)\n%s", pythonForBoto3, err, e)
	}
	return tl
}

// ---------------------------------------------------------------------------
// Data helpers

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func randHex(t testing.TB, nbytes int) string {
	t.Helper()
	b := make([]byte, nbytes)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// randBytes is deterministic pseudo-random content for a seed.
func randBytes(seed uint64, n int) []byte {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, n)
	r := mrand.NewChaCha8(s)
	r.Read(b)
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeTree writes files (slash-separated relative paths) under dir.
func writeTree(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree reads every regular file under dir, keyed by slash path.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareTrees fails the test unless got has exactly want's files and bytes.
func compareTrees(t testing.TB, want, got map[string][]byte) {
	t.Helper()
	var problems []string
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			problems = append(problems, "missing: "+name)
		case !bytes.Equal(w, g):
			problems = append(problems, fmt.Sprintf("differs: %s (want %d bytes sha256 %.12s, got %d bytes sha256 %.12s)",
				name, len(w), sha256Hex(w), len(g), sha256Hex(g)))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			problems = append(problems, "unexpected: "+name)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("trees differ:\n  %s", strings.Join(problems, "\n  "))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// sampleTree is a file tree with nested folders, unicode names, names with
// spaces and shell/URL-special characters, an empty file and bigFile bytes
// in big.bin (0 = no big file).
func sampleTree(bigFile int) map[string][]byte {
	files := map[string][]byte{
		"top.txt":                  []byte("hello from garage-web e2e\n"),
		"empty.txt":                {},
		"été/naïve.txt":            []byte("naïve café contents ✓\n"),
		"été/日本語 ファイル.txt":         randBytes(7, 4000),
		"with space/file name.txt": []byte("a file with spaces in its name\n"),
		"a/b/c/deep.txt":           randBytes(11, 5000),
		"a/b/sibling.dat":          randBytes(12, 100<<10),
		"a/x.txt":                  []byte("x\n"),
		"sym/a+b=c,d&e.txt":        []byte("special characters\n"),
	}
	for i := 0; i < 10; i++ {
		files[fmt.Sprintf("data/obj-%02d.bin", i)] = randBytes(uint64(100+i), 1+(i*29<<10))
	}
	if bigFile > 0 {
		files["big.bin"] = randBytes(42, bigFile)
	}
	return files
}
