package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Node is one garage-web server process: its directory, config, log, and
// (when running) the process. Its methods are safe from any goroutine and
// report problems as errors, so a fault goroutine can Kill a node while
// clients use it.
type Node struct {
	Name                string // n0, n1, ... (gw0 for gateways)
	Zone                string
	Gateway             bool
	Spare               bool // outside the first layout (ClusterOptions.Spares)
	Dir                 string
	ConfigPath, LogPath string
	ID                  string // 64 hex chars, known after the first start

	// netns is the network namespace the process runs in ("" = host).
	netns string
	// dial opens TCP connections to the node's endpoints (through the hub
	// namespace for netns nodes).
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	client *http.Client

	mu   sync.Mutex
	cfg  nodeConfig
	proc *process // nil when not running
}

type process struct {
	cmd      *exec.Cmd
	done     chan struct{} // closed once the process has exited
	err      error         // cmd.Wait result, valid after done
	expected bool          // stopped or killed on purpose
}

func newNode(name, dir string, cfg nodeConfig, netns string,
	dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*Node, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	}
	n := &Node{
		Name:       name,
		Dir:        dir,
		ConfigPath: filepath.Join(dir, "garage-web.toml"),
		LogPath:    filepath.Join(dir, "node.log"),
		netns:      netns,
		dial:       dial,
		cfg:        cfg,
	}
	n.client = &http.Client{Transport: &http.Transport{
		DialContext:         dial,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	if err := cfg.write(n.ConfigPath); err != nil {
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	return n, nil
}

// Config is a copy of the node's current configuration.
func (n *Node) Config() nodeConfig {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.cfg
	c.BootstrapPeers = append([]string(nil), c.BootstrapPeers...)
	return c
}

// UpdateConfig edits the node's config file; a running process sees the
// change on its next start. edit runs under the node's lock: it must not
// call methods of any Node.
func (n *Node) UpdateConfig(edit func(*nodeConfig)) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.cfg
	edit(&c)
	if err := c.write(n.ConfigPath); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	n.cfg = c
	return nil
}

// command is garage-web with args, inside the node's namespace if it has one.
func (n *Node) command(ctx context.Context, args ...string) *exec.Cmd {
	if n.netns != "" {
		return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.netns, garageBin}, args...)...)
	}
	return exec.CommandContext(ctx, garageBin, args...)
}

// Running reports whether the node has a live process.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil {
		return false
	}
	select {
	case <-n.proc.done:
		return false
	default:
		return true
	}
}

// Start launches the server and waits until /health answers 200 (or ctx
// ends, or the process exits).
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	if n.proc != nil {
		n.mu.Unlock()
		return fmt.Errorf("node %s: Start: already running", n.Name)
	}
	logf, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.mu.Unlock()
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	fmt.Fprintf(logf, "==== cluster test: starting %s at %s ====\n", n.Name, time.Now().Format(time.RFC3339Nano))
	// Not CommandContext: the process outlives Start's context.
	cmd := n.command(context.Background(), "server", "-c", n.ConfigPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group (Kill and Stop signal the group); Pdeathsig so the
	// server dies with the test binary even when the binary is killed before
	// its cleanups run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		n.mu.Unlock()
		return fmt.Errorf("node %s: start: %w", n.Name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	n.proc = p
	n.mu.Unlock()
	return n.waitHealthy(ctx, p)
}

func (n *Node) waitHealthy(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var last string
	for {
		select {
		case <-p.done:
			return fmt.Errorf("node %s exited before becoming ready (%v)", n.Name, p.err)
		default:
		}
		code, body, err := n.adminDo(ctx, http.MethodGet, "/health", nil)
		switch {
		case err == nil && code == http.StatusOK:
			return nil
		case err == nil:
			last = fmt.Sprintf("%d %s", code, bytes.TrimSpace(body))
		default:
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not ready within %v (last /health: %s)", n.Name, readyTimeout, last)
		case <-p.done:
		case <-time.After(pollInterval):
		}
	}
}

// Stop sends SIGTERM and waits for the exit; SIGKILL after stopTimeout.
func (n *Node) Stop() error {
	p, err := n.take()
	if err != nil {
		return err
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		_ = killProc(p)
		return fmt.Errorf("node %s did not exit within %v of SIGTERM (killed)", n.Name, stopTimeout)
	}
}

// Kill sends SIGKILL (kill -9) and waits until the process is gone.
func (n *Node) Kill() error {
	p, err := n.take()
	if err != nil {
		return err
	}
	if err := killProc(p); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	return nil
}

// Restart is Stop then Start on the same directories and addresses.
func (n *Node) Restart(ctx context.Context) error {
	if err := n.Stop(); err != nil {
		return err
	}
	return n.Start(ctx)
}

func (n *Node) take() (*process, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.proc
	if p == nil {
		return nil, fmt.Errorf("node %s: not running", n.Name)
	}
	n.proc = nil
	p.expected = true
	return p, nil
}

func killProc(p *process) error {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(killTimeout):
		return fmt.Errorf("pid %d still alive %v after SIGKILL", p.cmd.Process.Pid, killTimeout)
	}
}

// shutdown kills the process if any and tells whether it had died on its
// own (a crash the test did not cause).
func (n *Node) shutdown() (crashed error) {
	n.mu.Lock()
	p := n.proc
	n.proc = nil
	n.mu.Unlock()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		if !p.expected {
			crashed = fmt.Errorf("node %s exited on its own during the test: %v", n.Name, p.err)
		}
	default:
	}
	if err := killProc(p); err != nil && crashed == nil {
		crashed = fmt.Errorf("node %s: %w", n.Name, err)
	}
	return crashed
}

// LogTail is the end of the node's log (every start appends to it).
func (n *Node) LogTail() string {
	b, err := os.ReadFile(n.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > logTailBytes {
		b = append([]byte("...[cut]...\n"), b[len(b)-logTailBytes:]...)
	}
	return string(b)
}

// CLI runs `garage-web -c CONFIG args...` (in the node's namespace) with a
// deadline and returns stdout; a non-zero exit is an error with stderr.
func (n *Node) CLI(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	cmd := n.command(ctx, append([]string{"-c", n.ConfigPath}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		return o.String(), fmt.Errorf("node %s: garage-web %s: %w\nstdout: %s\nstderr: %s",
			n.Name, strings.Join(args, " "), err, clip(o.String()), clip(e.String()))
	}
	return o.String(), nil
}

// Addresses as clients reach them.
func (n *Node) S3Addr() string    { return n.Config().S3API.APIBindAddr }
func (n *Node) WebAddr() string   { return n.Config().S3Web.BindAddr }
func (n *Node) AdminAddr() string { return n.Config().Admin.APIBindAddr }
func (n *Node) RPCAddr() string   { return n.Config().RPCBindAddr }

// RPCPublicAddr is where peers reach the node (its proxy when latency is on).
func (n *Node) RPCPublicAddr() string {
	c := n.Config()
	if c.RPCPublicAddr != "" {
		return c.RPCPublicAddr
	}
	return c.RPCBindAddr
}

// HTTP is a client whose connections reach the node's endpoints (in its
// namespace, if it has one).
func (n *Node) HTTP() *http.Client { return n.client }

// adminDo sends one admin API request with the Bearer token.
func (n *Node) adminDo(ctx context.Context, method, path string, body io.Reader) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+n.AdminAddr()+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+n.Config().Admin.AdminToken)
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("node %s: %s %s: %w", n.Name, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, b, fmt.Errorf("node %s: %s %s: body: %w", n.Name, method, path, err)
	}
	return resp.StatusCode, b, nil
}

// AdminGET fetches an admin API path and fails unless it answers 200.
func (n *Node) AdminGET(ctx context.Context, path string) ([]byte, error) {
	code, body, err := n.adminDo(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return body, fmt.Errorf("node %s: GET %s: status %d: %s", n.Name, path, code, clip(string(body)))
	}
	return body, nil
}

// Key is an S3 access key.
type Key struct{ ID, Secret string }

// S3 is an aws-sdk-go-v2 client for the node's S3 endpoint: path-style,
// region garage, no retries (a fault test must see every 503), no config
// files read.
func (n *Node) S3(k Key) *s3.Client {
	cfg := aws.Config{
		Region:      s3Region,
		Credentials: credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""),
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.DialContext = n.dial
			tr.MaxIdleConnsPerHost = 64
		}),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + n.S3Addr())
		o.UsePathStyle = true
	})
}

func clip(s string) string {
	const max = 4 << 10
	if len(s) > max {
		return s[:max/2] + "\n...[cut]...\n" + s[len(s)-max/2:]
	}
	return s
}
