// Command benchsuite is `make bench` and `make bench-smoke`: it starts
// garage-web, MinIO (installed with `go install` if missing) and an
// in-memory ceiling server one after the other on the same disk, runs the
// same scenarios against each, measures the machine's physical references
// and the web endpoint against http.FileServer, and prints a Markdown
// report (and writes JSON) with garage-web's ratio to each.
//
//	benchsuite -profile full  -garage-bin bin/garage-web -md out.md -json out.json
//	benchsuite -profile smoke -minio=false
//
// `benchsuite cluster` is `make bench-cluster`: the latency of one client
// against geo-distributed clusters (nodes behind delaying proxies).
// `benchsuite render FILE.json` prints the Markdown of a saved JSON report.
// `benchsuite install-minio` installs MinIO if missing (`make bench` runs
// it before entering the network namespace, which has no route out).
//
// MinIO distributed (the "MinIO 3 nodes" cluster rows) needs -minio-ip, an
// address of a network namespace of the run's own: `make bench` runs the
// whole suite through bench/cluster-netns.sh when root, which adds it, or,
// when it cannot make the namespace, adds -netns-unavailable with why.
// Subcommands used by the suite itself: `memserver -addr A` (the ceiling)
// and `fileserver -addr A -dir D` (http.FileServer).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/garage-web/garage-web/bench"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "memserver", "fileserver":
			serve(os.Args[1], os.Args[2:])
			return
		case "cluster":
			if err := runCluster(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "benchsuite cluster:", err)
				os.Exit(1)
			}
			return
		case "install-minio":
			if err := installMinio(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "benchsuite install-minio:", err)
				os.Exit(1)
			}
			return
		case "render":
			if err := render(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "benchsuite render:", err)
				os.Exit(1)
			}
			return
		}
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchsuite:", err)
		os.Exit(1)
	}
}

type notes []string

func (n *notes) String() string     { return strings.Join(*n, "; ") }
func (n *notes) Set(v string) error { *n = append(*n, v); return nil }

func run() error {
	var (
		profile    = flag.String("profile", "full", "full (make bench) or smoke (make bench-smoke)")
		garageBin  = flag.String("garage-bin", "bin/garage-web", "garage-web binary (\"\" to skip garage-web)")
		useMinio   = flag.Bool("minio", true, "also run MinIO as the reference (installed with go install if missing)")
		minioBin   = flag.String("minio-bin", "", "MinIO binary (default $(go env GOPATH)/bin/minio)")
		ceiling    = flag.Bool("ceiling", true, "run the in-memory ceiling server")
		workDir    = flag.String("workdir", "", "data directory on the disk under test (default: a new temp dir)")
		mdOut      = flag.String("md", "", "write the Markdown report to this file (always printed to stdout)")
		jsonOut    = flag.String("json", "", "write the JSON report to this file")
		timeout    = flag.Duration("timeout", 0, "deadline of the whole run (default 19m full, 55s smoke)")
		scaleTotal = flag.Int64("scale-objects", 0, "objects in the scale bucket (default: the profile's)")
		scaleTime  = flag.Duration("scale-time", 0, "time budget of the scale scenario after its first step (default: the profile's)")
		phase      = flag.Duration("phase", 0, "duration of each timed phase (default: the profile's)")
		signPay    = flag.Bool("sign-payload", false, "hash bodies for SigV4 instead of UNSIGNED-PAYLOAD")
		command    = flag.String("command", "", "command to print in the report (default: this command line)")
		clusterRow = flag.String("cluster-rows", "auto", "run the 3-node garage-web cluster rows: on, off, or auto (on in the full profile)")
		minioClus  = flag.String("minio-cluster", "auto", "run MinIO distributed's 3-node cluster rows: on, off, or auto (with the garage-web cluster rows); needs -minio-ip")
		minioIP    = flag.String("minio-ip", "", "address of a network namespace of this run's own for MinIO distributed's nodes (bench/cluster-netns.sh adds it)")
		noNetns    = flag.String("netns-unavailable", "", "why the run has no network namespace (bench/cluster-netns.sh -fallback adds it); reported as why MinIO distributed did not run")
		only       = flag.String("only", "", "cluster-rows: run only the cluster rows (no single-node targets, references or web endpoint)")
		strict     = flag.Bool("strict", false, "exit 1 if a target did not start or an S3 figure failed (for CI)")
		extra      notes
	)
	flag.Var(&extra, "note", "a note to print in the report (repeatable)")
	flag.Parse()

	var p bench.Profile
	switch *profile {
	case "full":
		p = bench.FullProfile()
	case "smoke":
		p = bench.SmokeProfile()
	default:
		return fmt.Errorf("unknown -profile %q (full or smoke)", *profile)
	}
	if *timeout == 0 {
		*timeout = map[string]time.Duration{"full": 19 * time.Minute, "smoke": 55 * time.Second}[p.Name]
	}
	if *scaleTotal > 0 {
		p.ScaleTotal = *scaleTotal
		p.ScaleStep = min(p.ScaleStep, *scaleTotal)
		if *scaleTotal > p.ScaleStep {
			p.ScaleEvery = p.ScaleStep // per-step figures past the first prefix
		}
	}
	if *scaleTime > 0 {
		p.ScaleMaxTime = *scaleTime
	}
	if *phase > 0 {
		p.Phase = *phase
	}
	switch *only {
	case "":
	case "cluster-rows":
		*ceiling, *useMinio, *clusterRow = false, false, "on"
		p.RefSize, p.WebDuration, p.ScaleTotal = 0, 0, 0
		extra = append(extra, "only the cluster rows (-only cluster-rows): the single-node figures, references and web endpoint were not measured.")
	default:
		return fmt.Errorf("unknown -only %q (cluster-rows)", *only)
	}
	if *command == "" {
		*command = strings.Join(append([]string{"benchsuite"}, os.Args[1:]...), " ")
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var launchers []bench.Launcher
	var minioPath string
	if *ceiling {
		launchers = append(launchers, &bench.Ceiling{Exe: exe})
	}
	var garageAbs string
	if *garageBin != "" {
		if garageAbs, err = filepath.Abs(*garageBin); err != nil {
			return err
		}
		if _, err := os.Stat(garageAbs); err != nil {
			return fmt.Errorf("garage-web binary: %w (run `make build` first)", err)
		}
		if *only == "" {
			launchers = append(launchers, &bench.Garage{Bin: garageAbs})
		}
	}
	if *useMinio {
		if minioPath, err = ensureMinio(*minioBin, logf); err != nil {
			return err
		}
		launchers = append(launchers, &bench.Minio{Bin: minioPath})
	}

	dir := *workDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "garage-web-bench-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	s := &bench.Suite{
		Profile: p, Primary: "garage-web", Launchers: launchers, WorkDir: dir, Exe: exe,
		Client: bench.ClientOptions{SignPayload: *signPay}, Logf: logf,
	}
	clusterRows := *clusterRow == "on" || *clusterRow == "auto" && p.Name == "full"
	if garageAbs != "" && clusterRows {
		s.ClusterBin = garageAbs
	}
	if *minioClus == "on" || *minioClus == "auto" && clusterRows {
		s.MinioCluster, s.NotRun = minioClusterRows(minioPath, *minioBin, *minioIP, *noNetns)
	}
	r := s.Run(ctx, bench.DescribeMachine(dir, *command))
	r.Notes = append(r.Notes, extra...)
	r.Notes = append(r.Notes, profileNotes(p, *signPay)...)
	if ctx.Err() != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("the run hit its %v deadline: later figures are missing or cut short", *timeout))
	}
	defer func() {
		if *workDir == "" {
			t0 := time.Now()
			logf("removing %s", dir)
			os.RemoveAll(dir)
			logf("removed in %s", time.Since(t0).Round(time.Second))
		}
	}()

	return writeReport(r, *mdOut, *jsonOut, *strict)
}

// report is what both suites produce.
type report interface {
	Markdown(w io.Writer) error
	JSON(w io.Writer) error
	Problems() []string
}

// writeReport prints r's Markdown, writes it to mdOut and its JSON to
// jsonOut (each unless ""), and with strict fails on any problem.
func writeReport(r report, mdOut, jsonOut string, strict bool) error {
	var md strings.Builder
	if err := r.Markdown(&md); err != nil {
		return err
	}
	fmt.Print(md.String())
	if mdOut != "" {
		if err := os.WriteFile(mdOut, []byte(md.String()), 0o644); err != nil {
			return err
		}
	}
	if jsonOut != "" {
		f, err := os.Create(jsonOut)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := r.JSON(f); err != nil {
			return err
		}
	}
	if p := r.Problems(); strict && len(p) > 0 {
		return fmt.Errorf("%d problem(s):\n  %s", len(p), strings.Join(p, "\n  "))
	}
	return nil
}

func profileNotes(p bench.Profile, signed bool) []string {
	pay := "bodies sent as UNSIGNED-PAYLOAD, no client checksums, except the multipart upload, where the SDK's transfer manager signs each part and adds a CRC32"
	if signed {
		pay = "bodies hashed for SigV4 by the client"
	}
	n := []string{
		fmt.Sprintf("aws-sdk-go-v2 client in the same machine as the server (%s); timed phases last %v each; object bodies are unique (no dedup).", pay, p.Phase),
	}
	if p.ScaleTotal > 0 {
		n = append(n, fmt.Sprintf("scale: up to %d objects of %s in one bucket, figures every %d objects, %d clients; past the first %d the fill stops after %v (the last scale row says how far it got). The issue asks for 1,000,000 objects with per-100k figures: `benchsuite -scale-objects 1000000 -scale-time 60m -timeout 3h` (hours at today's PUT rates), not part of `make bench`.",
			p.ScaleTotal, bench.SizeName(p.ScaleSize), p.ScaleEvery, p.ScaleClients, p.ScaleStep, p.ScaleMaxTime))
	}
	return n
}

// minioClusterRows is MinIO distributed's cluster of the cluster rows, or
// why it cannot run. bin is the MinIO binary if already found.
func minioClusterRows(bin, flagBin, ip, noNetns string) (*bench.MinioCluster, []bench.NotRun) {
	why := func(reason string) []bench.NotRun {
		return []bench.NotRun{{Name: bench.MinioClusterName, Reason: reason}}
	}
	if ip == "" {
		if noNetns == "" {
			noNetns = "no -minio-ip (run through bench/cluster-netns.sh, as root)"
		}
		return nil, why(noNetns + "; MinIO distributed refuses loopback peers in a container and needs an address of a network namespace of the run's own")
	}
	if bin == "" {
		var err error
		if bin, err = findMinio(flagBin); err != nil {
			return nil, why(fmt.Sprintf("%v (`benchsuite install-minio` installs it)", err))
		}
	}
	return bench.NewMinioClusterRows(bin, ip), nil
}

// installMinio is `benchsuite install-minio`: ensureMinio, then the path.
func installMinio(args []string) error {
	fs := flag.NewFlagSet("install-minio", flag.ExitOnError)
	bin := fs.String("minio-bin", "", "MinIO binary (default $(go env GOPATH)/bin/minio)")
	fs.Parse(args)
	p, err := ensureMinio(*bin, func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) })
	if err != nil {
		return err
	}
	fmt.Println(p)
	return nil
}

// ensureMinio returns the MinIO binary, installing it with go install when
// missing (it builds from the Go module proxy in a few minutes; cached in
// GOPATH/bin afterwards).
func ensureMinio(bin string, logf func(string, ...any)) (string, error) {
	if bin == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOPATH: %w", err)
		}
		bin = filepath.Join(strings.TrimSpace(string(out)), "bin", "minio")
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	logf("MinIO not found at %s: installing with `go install github.com/minio/minio@latest` (several minutes, once)", bin)
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/minio/minio@latest")
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOBIN="+filepath.Dir(bin))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install minio: %w (run with -minio=false to skip MinIO)", err)
	}
	logf("MinIO installed in %s", time.Since(t0).Round(time.Second))
	return bin, nil
}

// serve runs one of the helper servers until SIGTERM.
func serve(kind string, args []string) {
	fs := flag.NewFlagSet(kind, flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	dir := fs.String("dir", ".", "directory served by fileserver")
	fs.Parse(args)
	var h http.Handler = bench.NewMemHandler()
	if kind == "fileserver" {
		h = http.FileServer(http.Dir(*dir))
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		<-ch
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, kind+":", err)
		os.Exit(1)
	}
}

// render prints the Markdown report of a JSON report file.
func render(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: benchsuite render FILE.json")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var r bench.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	return r.Markdown(os.Stdout)
}
