package bench

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// DescribeMachine collects what the report says about the machine: CPUs,
// memory, the filesystem of dir, kernel, Go version, date and load.
func DescribeMachine(dir, command string) Machine {
	m := Machine{
		Nproc:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		Command:   command,
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if out, err := exec.Command("free", "-h").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "Mem:" {
				m.Memory = f[1]
			}
		}
	}
	if out, err := exec.Command("df", "-h", "--output=source,fstype,size", dir).Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			m.Disk = strings.Join(strings.Fields(lines[1]), " ")
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Source = "commit " + strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Source += " with uncommitted changes"
		}
	}
	return m
}
