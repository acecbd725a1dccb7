package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deploy/garage-web.service must be a unit systemd accepts, and able to
// bind 80/443 for automatic HTTPS; `make install` must put the binary,
// unit and configuration where the unit and the CLI look for them.

// requireCITool finds a tool the test needs: in CI (CI=true, where .ci/run
// installs it) a missing tool fails the test, elsewhere it skips it.
func requireCITool(t *testing.T, name, debPkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found on PATH: .ci/run must install %s (apt-get install -y %s)", name, debPkg, debPkg)
	}
	t.Skipf("%s not installed (apt-get install -y %s); CI runs this test", name, debPkg)
	return ""
}

func readDeployUnit(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "garage-web.service"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeployUnitVerifies(t *testing.T) {
	analyze := requireCITool(t, "systemd-analyze", "systemd")
	unit := readDeployUnit(t)
	for _, want := range []string{
		"AmbientCapabilities=CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
		"ExecStart=/usr/local/bin/garage-web server -c /etc/garage-web.toml",
	} {
		if !strings.Contains(unit, "\n"+want+"\n") {
			t.Errorf("deploy/garage-web.service has no line %q", want)
		}
	}
	// systemd-analyze checks that ExecStart is executable: point it at the
	// binary under test, the rest of the unit as shipped.
	dir := t.TempDir()
	path := filepath.Join(dir, "garage-web.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/garage-web", garageBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, analyze, "verify", path)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	// verify exits 0 on unknown keys and bad values ("ignoring"): any word
	// about our unit is a failure too.
	if err != nil || strings.Contains(string(out), "garage-web.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestMakeInstallFiles(t *testing.T) {
	makeBin := requireTool(t, "make", "make")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	install := func() string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// install-files: the binary under test, not a new build.
		cmd := exec.CommandContext(ctx, makeBin, "-C", root, "--no-print-directory", "install-files", "BIN="+garageBin, "DESTDIR="+dest, "PREFIX=/opt/gw")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make install-files: %v\n%s", err, out)
		}
		return string(out)
	}
	install()
	checkMode := func(rel string, mode os.FileMode) {
		t.Helper()
		st, err := os.Stat(filepath.Join(dest, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", rel, st.Mode().Perm(), mode)
		}
	}
	checkMode("opt/gw/bin/garage-web", 0o755)
	checkMode("etc/systemd/system/garage-web.service", 0o644)
	checkMode("etc/garage-web.toml", 0o644)
	unit, err := os.ReadFile(filepath.Join(dest, "etc/systemd/system/garage-web.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "\nExecStart=/opt/gw/bin/garage-web server -c /etc/garage-web.toml\n") {
		t.Errorf("installed unit does not start the installed binary:\n%s", unit)
	}
	// An existing configuration is never overwritten.
	conf := filepath.Join(dest, "etc/garage-web.toml")
	if err := os.WriteFile(conf, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := install(); !strings.Contains(out, "kept "+conf) {
		t.Errorf("second install does not say it kept the config:\n%s", out)
	}
	if b, _ := os.ReadFile(conf); string(b) != "# mine\n" {
		t.Errorf("second install overwrote the configuration: %q", b)
	}
	// The installed binary runs.
	out, err := exec.Command(filepath.Join(dest, "opt/gw/bin/garage-web"), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "garage-web ") {
		t.Errorf("installed garage-web --version: %v %q", err, out)
	}
}
