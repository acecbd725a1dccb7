package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Limits of server processes started by launchers.
const (
	readyTimeout = 60 * time.Second // process start to ready
	stopTimeout  = 20 * time.Second // SIGTERM grace before SIGKILL
	cliTimeout   = 60 * time.Second // one CLI call
)

// proc is a server process in its own process group, logging to a file.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startProc starts name args with env added, stdout+stderr to logPath.
func startProc(logPath string, env []string, name string, args ...string) (*proc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	return p, nil
}

// pid of the server process.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitHTTP polls url until it answers 200, the process exits or the
// timeout passes.
func (p *proc) waitHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	last := "no answer"
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before becoming ready (%v); log tail:\n%s", filepath.Base(p.cmd.Path), p.err, tail(p.log, 4096))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s after %v (last: %s); log tail:\n%s", filepath.Base(p.cmd.Path), url, readyTimeout, last, tail(p.log, 4096))
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := c.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		last = resp.Status
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after stopTimeout.
func (p *proc) stop() error {
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
		return errors.New("did not stop on SIGTERM; killed")
	}
}

// tail is the last n bytes of a file.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// freePorts reserves n distinct free loopback ports. They are released
// before return, so a race with another process is possible but rare.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
