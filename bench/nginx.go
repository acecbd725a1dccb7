package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// nginxConf is the reference nginx's configuration: the website's files
// from one directory, every path nginx writes inside dir, no access log,
// sendfile, as many workers as CPUs (garage-web uses every CPU too).
const nginxConf = `worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	types { text/html html; application/octet-stream bin; }
	server {
		listen %[2]s;
		root %[3]s;
		index index.html;
	}
}
`

// nobody is the uid and gid nginx runs as when the suite runs as root.
const nobody = 65534

// runNginx measures Debian's nginx (nginx-light) serving the website's
// files, as the second static-file reference. nginx runs unprivileged
// (as nobody when the suite is root) on a loopback port, with its
// configuration, pid file, logs and temp paths in a directory of its own.
func (s *Suite) runNginx(ctx context.Context, web Web) []Result {
	fail := func(err error) []Result {
		var rs []Result
		for _, f := range web.Files {
			rs = append(rs, Result{Target: NginxName, Scenario: web.ScenarioName(f), Op: fmt.Sprintf("GET (wrk c%d)", web.Connections), Unavailable: err.Error()})
		}
		return rs
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/nginx"); e != nil {
			return fail(fmt.Errorf("nginx not installed (apt-get install nginx-light)"))
		}
		bin = "/usr/sbin/nginx"
	}
	// Its own temp dir, readable by nobody (the work dir may be private).
	dir, err := os.MkdirTemp("", "bench-nginx-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	site := filepath.Join(dir, "site")
	if err := web.WriteFiles(site); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return fail(err)
	}
	ports, err := freePorts(1)
	if err != nil {
		return fail(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, addr, site), 0o644); err != nil {
		return fail(err)
	}
	args := []string{bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;"}
	if os.Geteuid() == 0 {
		if err := chownTree(dir, nobody); err != nil {
			return fail(err)
		}
		args = append([]string{"setpriv", "--reuid=" + strconv.Itoa(nobody), "--regid=" + strconv.Itoa(nobody), "--clear-groups", "--"}, args...)
	}
	s.logf("== %s", NginxName)
	p, err := startProc(filepath.Join(s.WorkDir, "nginx.log"), nil, args[0], args[1:]...)
	if err != nil {
		return fail(err)
	}
	defer p.stop()
	if err := p.waitHTTP(ctx, "http://"+addr+"/"); err != nil {
		return fail(fmt.Errorf("%w; error.log: %s", err, tail(filepath.Join(dir, "error.log"), 1024)))
	}
	pids := append([]int{p.pid()}, childPIDs(p.pid())...)
	sampler := NewSampler(pids, 100*time.Millisecond)
	defer sampler.Close()
	rs := web.Run(ctx, NginxName, "http://"+addr, "", sampler)
	for _, x := range rs {
		s.logf("  %-22s %-20s %9s req/s %s", x.Scenario, x.Op, fmtRate(x.OpsPerSec), short(x.Unavailable))
	}
	return rs
}

// chownTree gives dir and everything in it to uid (and gid uid).
func chownTree(dir string, uid int) error {
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, uid)
	})
}

// childPIDs lists the children of pid (nginx's workers), nil if unknown.
func childPIDs(pid int) []int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}
