package cluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hubRoute is one delaying proxy in the hub namespace: it listens on
// listen (TCP and UDP, an address on the hub's bridge) and forwards to
// upstream (a host's address).
type hubRoute struct {
	listen, upstream string
}

// hubProxyReadyTimeout bounds building and starting delayproxyd.
const hubProxyReadyTimeout = 2 * time.Minute

// startHubProxies builds test/cluster/internal/delayproxyd into dir and
// runs it inside the hub namespace with one proxy per route, each
// direction delayed by oneWay. A Go process's network namespace is per OS
// thread and the proxies dial upstream from goroutines of their own, so
// they run in a process of their own, started with `ip netns exec`. A host
// reaching another through its proxy goes veth -> bridge -> hub proxy ->
// bridge -> veth: cutting a host's veth still cuts it off completely, and
// every request/answer between two hosts costs 2*oneWay more. The process
// is killed in t.Cleanup (registered here, so it runs before the
// namespaces are deleted).
func startHubProxies(t testing.TB, nw *Netns, dir string, oneWay time.Duration, routes []hubRoute) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hubProxyReadyTimeout)
	defer cancel()
	bin, err := buildDelayProxyd(ctx, dir)
	if err != nil {
		return err
	}
	args := []string{"netns", "exec", nw.hub, bin, "-delay", oneWay.String()}
	for _, r := range routes {
		args = append(args, r.listen+"="+r.upstream)
	}
	// Not CommandContext: the process lives until the test's cleanup.
	cmd := exec.Command("ip", args...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("hub proxies: %w", err)
	}
	// Pdeathsig: the proxies die with the test binary even when it is
	// killed before its cleanups run (`ip netns exec` execs the program, so
	// the signal reaches delayproxyd itself).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("hub proxies: start: %w", err)
	}
	done := make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		line := ""
		if sc.Scan() {
			line = sc.Text()
		}
		ready <- line
		for sc.Scan() { // drain, so the process never blocks on stdout
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(stopTimeout):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			select {
			case <-done:
			case <-time.After(killTimeout):
				t.Errorf("hub proxies (pid %d) not reaped after SIGKILL", cmd.Process.Pid)
			}
		}
	})
	select {
	case line := <-ready:
		if line != "ready" {
			select { // stdout closed: the process is exiting
			case <-done:
			case <-ctx.Done():
			}
			return fmt.Errorf("hub proxies: delayproxyd printed %q, not ready: %s", line, strings.TrimSpace(stderr.String()))
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hub proxies: not ready within %v: %s", hubProxyReadyTimeout, strings.TrimSpace(stderr.String()))
	}
}

// buildDelayProxyd builds the proxy program into dir and returns its path.
func buildDelayProxyd(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("delayproxyd: cannot find the module root (go env GOMOD: %v)", err)
	}
	bin := filepath.Join(dir, "delayproxyd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./test/cluster/internal/delayproxyd")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building delayproxyd: %w\n%s", err, out)
	}
	return bin, nil
}

// lockedBuffer is a bytes.Buffer safe to write from the process's copier
// and read from the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNetnsHubProxy runs delayproxyd in a hub with two hosts: host b
// reaches a TCP echo server in host a through the hub's proxy, each round
// trip at least two one-way delays long (a lower bound, whatever the load);
// with a's link cut the echo fails through the proxy too, and after the
// heal it works again.
func TestNetnsHubProxy(t *testing.T) {
	t.Parallel()
	const oneWay = 40 * time.Millisecond
	nw := newNetns(t)
	ipA, err := nw.AddHost("a")
	must(t, err)
	_, err = nw.AddHost("b")
	must(t, err)
	up := net.JoinHostPort(ipA, "7000")
	l, err := ListenIn(nw.HostNS("a"), "tcp", up)
	must(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	pub := net.JoinHostPort(nw.HubIP(), fmt.Sprint(portRPCProx))
	must(t, startHubProxies(t, nw, t.TempDir(), oneWay, []hubRoute{{listen: pub, upstream: up}}))

	ctx := testCtx(t, 60*time.Second)
	var rtt time.Duration
	echo := func(ctx context.Context) error {
		var c net.Conn
		if err := inNamespace(nw.HostNS("b"), func() error {
			var err error
			c, err = (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", pub)
			return err
		}); err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		start := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		got := make([]byte, 4)
		if _, err := io.ReadFull(c, got); err != nil {
			return err
		}
		rtt = time.Since(start)
		if string(got) != "ping" {
			return fmt.Errorf("echo: got %q", got)
		}
		return nil
	}
	must(t, waitFor(ctx, "b to reach a through the hub proxy", echo))
	if rtt < 2*oneWay {
		t.Fatalf("round trip %v through the hub proxy, want >= %v", rtt, 2*oneWay)
	}
	t.Logf("b -> hub proxy -> a: round trip %v", rtt)
	must(t, nw.Cut("a"))
	if err := echo(ctx); err == nil {
		t.Fatal("host a still reachable through the hub proxy after Cut")
	}
	must(t, nw.Heal("a"))
	must(t, waitFor(ctx, "b to reach a through the hub proxy after Heal", echo))
	t.Logf("hub proxy: delayed echo, cut (unreachable), heal (reachable)")
}
