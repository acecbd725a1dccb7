package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/garage-web/garage-web/bench"
)

// runCluster is `benchsuite cluster` (`make bench-cluster`): the latency
// scenario of issue 8 on a 3-site garage-web cluster whose nodes reach each
// other through delaying proxies on loopback.
//
// MinIO distributed runs only with -minio-ip: in a container it refuses
// peers that resolve to loopback, and benchmarks serve and connect only on
// loopback or inside network namespaces of their own. bench/cluster-netns.sh
// (what `make bench-cluster` runs) makes such a namespace, with a veth
// interface, and runs this command inside it with -minio-ip. Without it the
// report quotes issue 8's MinIO figures.
func runCluster(args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ExitOnError)
	var (
		garageBin = fs.String("garage-bin", "bin/garage-web", "garage-web binary (\"\" to skip garage-web)")
		minioIP   = fs.String("minio-ip", "", "run MinIO distributed with its peers on this address, which must exist only inside a network namespace of this run (bench/cluster-netns.sh)")
		minioBin  = fs.String("minio-bin", "", "MinIO binary (default $(go env GOPATH)/bin/minio)")
		rtt       = fs.Duration("rtt", 50*time.Millisecond, "round trip between two sites (each direction gets half)")
		ops       = fs.Int("ops", 100, "sequential operations per figure")
		warmup    = fs.Int("warmup", 5, "unmeasured PUT+GET pairs per size before measuring")
		idleOps   = fs.Int("idle-ops", 8, "1 KiB GETs each after -idle without requests (0: none)")
		idle      = fs.Duration("idle", 1100*time.Millisecond, "pause before each idle GET")
		baseline  = fs.Bool("baseline", true, "measure again with the delays off")
		workDir   = fs.String("workdir", "", "data directory (default: a new temp dir, removed at the end)")
		mdOut     = fs.String("md", "", "write the Markdown report to this file (always printed to stdout)")
		jsonOut   = fs.String("json", "", "write the JSON report to this file")
		timeout   = fs.Duration("timeout", 4*time.Minute+30*time.Second, "deadline of the whole run")
		command   = fs.String("command", "", "command to print in the report (default: this command line)")
		strict    = fs.Bool("strict", false, "exit 1 if a cluster did not start or a request failed")
	)
	fs.Parse(args)
	if *command == "" {
		*command = strings.Join(append([]string{"benchsuite", "cluster"}, args...), " ")
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	oneWay := *rtt / 2
	var launchers []bench.DelayLauncher
	var notes []string
	if *garageBin != "" {
		abs, err := filepath.Abs(*garageBin)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("garage-web binary: %w (run `make build` first)", err)
		}
		launchers = append(launchers, &bench.GarageCluster{Bin: abs, Nodes: 3, OneWay: oneWay})
	}
	switch bin, err := findMinio(*minioBin); {
	case *minioIP == "":
		notes = append(notes, "MinIO distributed not run: it needs -minio-ip, a non-loopback address inside a network namespace of the run (bench/cluster-netns.sh, root). Issue 8's MinIO distributed figures on 2 sites: ≈5 RTT per PUT, ≈2 per GET.")
	case err != nil:
		notes = append(notes, fmt.Sprintf("MinIO not run: %v (`make bench` installs it once). Issue 8's MinIO distributed figures on 2 sites: ≈5 RTT per PUT, ≈2 per GET.", err))
	default:
		launchers = append(launchers, &bench.MinioCluster{Bin: bin, OneWay: oneWay, ProxyIP: *minioIP})
	}
	dir := *workDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "garage-web-bench-cluster-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	s := &bench.ClusterSuite{
		OneWay: oneWay, Baseline: *baseline, Launchers: launchers, WorkDir: dir, Notes: notes, Logf: logf,
		Latency: bench.LatencyRun{Ops: *ops, Warmup: *warmup, Sizes: []int64{1 << 10, 1 << 20}, Payload: bench.NewPayload(8), IdleOps: *idleOps, Idle: *idle},
	}
	r := s.Run(ctx, bench.DescribeMachine(dir, *command))
	if ctx.Err() != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("the run hit its %v deadline: later figures are missing or cut short", *timeout))
	}
	return writeReport(r, *mdOut, *jsonOut, *strict)
}

// findMinio returns an installed MinIO binary without installing one.
func findMinio(bin string) (string, error) {
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", err
		}
		return bin, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("minio")
	if err != nil {
		return "", fmt.Errorf("no MinIO binary in GOPATH/bin or PATH")
	}
	return p, nil
}
