package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Profile sizes a suite run. Every phase is bounded by a count or a
// duration, so a profile's total time is predictable.
type Profile struct {
	Name string

	Phase      time.Duration // duration of each timed PUT/GET/DELETE/mixed phase
	SmallSize  int64         // small objects (4 KiB)
	Clients    []int         // client counts for small objects
	LargeSize  int64         // large objects (1 MiB)
	LargeConns int           // clients for large objects

	HugeSize    int64 // single-PutObject objects (64 MiB; 0: none)
	HugeClients int

	ChurnRounds int   // churn scenario (0: none): rounds of PUT/DELETE
	ChurnCount  int64 // objects per round

	MultipartSize int64 // 0: no multipart scenario
	PartSize      int64
	PartConc      int

	ScaleTotal   int64 // objects in the scale bucket (0: no scale/list scenario)
	ScaleStep    int64 // keys per scale prefix; also the LIST prefix size
	ScaleEvery   int64 // measurement period of the scale scenario
	ScaleSize    int64
	ScaleClients int
	ScaleMaxTime time.Duration // after the first step
	ListReps     int

	WebDuration time.Duration // 0: no web scenario
	WebConns    int

	RefSize int64 // bytes of the disk and loopback references (0: none)
}

// FullProfile is `make bench`: every scenario of issue 5, sized to keep
// garage-web + MinIO + references under 15 minutes on a small machine.
func FullProfile() Profile {
	return Profile{
		Name:  "full",
		Phase: 5 * time.Second, SmallSize: 4 << 10, Clients: []int{1, 16, 64},
		LargeSize: 1 << 20, LargeConns: 16,
		HugeSize: 64 << 20, HugeClients: 2,
		ChurnRounds: 5, ChurnCount: 10_000,
		MultipartSize: 1 << 30, PartSize: 16 << 20, PartConc: 4,
		ScaleTotal: 100_000, ScaleStep: 100_000, ScaleEvery: 20_000, ScaleSize: 256, ScaleClients: 64,
		ScaleMaxTime: time.Minute, ListReps: 20,
		WebDuration: 5 * time.Second, WebConns: 16,
		RefSize: 1 << 30,
	}
}

// SmokeProfile is `make bench-smoke`: every code path with tiny counts.
func SmokeProfile() Profile {
	return Profile{
		Name:  "smoke",
		Phase: 700 * time.Millisecond, SmallSize: 4 << 10, Clients: []int{1, 16},
		LargeSize: 1 << 20, LargeConns: 4,
		HugeSize: 16 << 20, HugeClients: 2,
		ChurnRounds: 3, ChurnCount: 100, // the full 5 rounds of 200: node.TestChurnKeepsMetadataSize
		MultipartSize: 32 << 20, PartSize: 8 << 20, PartConc: 2,
		ScaleTotal: 1000, ScaleStep: 500, ScaleEvery: 250, ScaleSize: 256, ScaleClients: 16,
		ScaleMaxTime: 3 * time.Second, ListReps: 3,
		WebDuration: 1 * time.Second, WebConns: 4,
		RefSize: 32 << 20,
	}
}

// Scale bucket and website bucket names.
const (
	BenchBucket = "bench"
	ScaleBucket = "bench-scale"
	SiteBucket  = "site"
)

// Scenarios is the profile's scenario list, in run order (later ones read
// the key pools of earlier ones).
func (p Profile) Scenarios(pl *Payload) []Scenario {
	var sc []Scenario
	if p.ChurnRounds > 0 {
		// First, on a fresh store: round one's growth is what the live
		// objects cost; the later scenarios then run on a churned store.
		sc = append(sc, Churn{Rounds: p.ChurnRounds, Count: p.ChurnCount, Size: p.SmallSize, Clients: 16, Payload: pl})
	}
	for _, c := range p.Clients {
		l := Load{Clients: c, Duration: p.Phase}
		sc = append(sc, PutGet{Size: p.SmallSize, Put: l, Get: l, Payload: pl})
	}
	last := PutGet{Size: p.SmallSize, Put: Load{Clients: p.Clients[len(p.Clients)-1]}}.Name()
	mid := PutGet{Size: p.SmallSize, Put: Load{Clients: p.Clients[min(1, len(p.Clients)-1)]}}.Name()
	sc = append(sc,
		Mixed{Pool: last, Size: p.SmallSize, ReadFraction: 0.7, Load: Load{Clients: 16, Duration: p.Phase}, Payload: pl},
		Delete{Pool: mid, Load: Load{Clients: 16, Duration: p.Phase}},
	)
	l := Load{Clients: p.LargeConns, Duration: p.Phase}
	sc = append(sc, PutGet{Size: p.LargeSize, Put: l, Get: l, Payload: pl})
	if p.HugeSize > 0 {
		h := Load{Clients: p.HugeClients, Duration: p.Phase}
		sc = append(sc, PutGet{Size: p.HugeSize, Put: h, Get: h, Payload: pl})
	}
	if p.MultipartSize > 0 {
		sc = append(sc, Multipart{Size: p.MultipartSize, PartSize: p.PartSize, Concurrency: p.PartConc, Payload: pl})
	}
	if p.ScaleTotal > 0 {
		sc = append(sc,
			Scale{Bucket: ScaleBucket, Total: p.ScaleTotal, Step: p.ScaleStep, Every: p.ScaleEvery, Size: p.ScaleSize, Clients: p.ScaleClients,
				MaxTime: p.ScaleMaxTime, ListReps: p.ListReps, Payload: pl},
			List{Bucket: ScaleBucket, Prefix: StepPrefix(0), ExpectKeys: p.ScaleStep, Reps: p.ListReps},
		)
	}
	return sc
}

// Needs is implemented by scenarios that need target features.
type Needs interface{ Needs() []string }

func (Multipart) Needs() []string { return []string{FeatureMultipart} }
func (Scale) Needs() []string     { return []string{FeatureList} }
func (List) Needs() []string      { return []string{FeatureList} }

// Suite runs a profile against targets, one after the other.
type Suite struct {
	Profile   Profile
	Primary   string // target the ratios are about
	Launchers []Launcher
	// WorkDir holds every target's data and the disk reference: put it on
	// the disk under test.
	WorkDir string
	// Exe, if set, is run as `Exe fileserver -addr A -dir D` for the
	// http.FileServer reference; otherwise it is served in-process.
	Exe string
	// ClusterBin, if set, is the garage-web binary of the 3-node cluster
	// rows (cluster_rows.go), run after the other targets.
	ClusterBin string
	// MinioCluster, if set, is MinIO distributed's cluster of the same
	// rows, run after garage-web's (cluster_rows.go).
	MinioCluster *MinioCluster
	// NotRun lists targets left out of the run, with why, for the report.
	NotRun []NotRun
	Client ClientOptions
	Logf   func(format string, args ...any)
}

func (s *Suite) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// Run runs everything and returns the report; problems with one target or
// scenario are recorded in the report, not returned.
func (s *Suite) Run(ctx context.Context, m Machine) *Report {
	start := time.Now()
	pl := NewPayload(1)
	r := &Report{Profile: s.Profile.Name, Primary: s.Primary, Machine: m}
	if s.Profile.RefSize > 0 {
		s.logf("physical references (%s)", SizeName(s.Profile.RefSize))
		dir := filepath.Join(s.WorkDir, "refs")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			r.References = append(r.References, DiskRefs(ctx, dir, s.Profile.RefSize, 1<<20, pl)...)
			os.RemoveAll(dir)
		}
		r.References = append(r.References, LoopbackRef(ctx, s.Profile.RefSize))
	}
	web := Web{Files: DefaultWebFiles, Connections: s.Profile.WebConns, Threads: 2, Duration: s.Profile.WebDuration, Payload: pl}
	fsDone := false
	for _, l := range s.Launchers {
		if ctx.Err() != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("%s not run: suite deadline reached", l.Name()))
			break
		}
		info, results := s.runTarget(ctx, l, pl, web)
		r.Targets = append(r.Targets, info)
		r.Results = append(r.Results, results...)
		// http.FileServer runs right after the first web endpoint, so that
		// the two are measured as close in time as possible.
		if !fsDone && s.Profile.WebDuration > 0 && ctx.Err() == nil && hasWeb(results, web) {
			r.Results = append(r.Results, s.runFileServer(ctx, web)...)
			r.Results = append(r.Results, s.runNginx(ctx, web)...)
			fsDone = true
		}
	}
	if !fsDone && s.Profile.WebDuration > 0 && ctx.Err() == nil {
		r.Results = append(r.Results, s.runFileServer(ctx, web)...)
		r.Results = append(r.Results, s.runNginx(ctx, web)...)
	}
	s.runClusters(ctx, pl, r)
	r.Elapsed = time.Since(start).Round(time.Second).String()
	return r
}

func (s *Suite) runTarget(ctx context.Context, l Launcher, pl *Payload, web Web) (info TargetInfo, results []Result) {
	info = TargetInfo{Name: l.Name()}
	maxClients := 0
	for _, c := range s.Profile.Clients {
		maxClients = max(maxClients, c)
	}
	st := s.startTarget(ctx, l, l.Name(), maxClients, &info)
	if st == nil {
		return info, nil
	}
	defer st.close(&info)
	env, t, sampler := st.env, st.env.Target, st.sampler
	for _, sc := range s.Profile.Scenarios(pl) {
		if ctx.Err() != nil {
			break
		}
		if n, ok := sc.(Needs); ok && !hasAll(t, n.Needs()) {
			continue
		}
		t0 := time.Now()
		rs, err := sc.Run(ctx, env)
		if err != nil {
			rs = append(rs, Result{Target: t.Name, Scenario: sc.Name(), Op: "run", Unavailable: err.Error()})
		}
		s.logResults(rs)
		s.logf("  (%s took %s)", sc.Name(), time.Since(t0).Round(100*time.Millisecond))
		results = append(results, rs...)
	}
	if s.Profile.WebDuration > 0 && t.WebEndpoint != "" && ctx.Err() == nil {
		host := SiteBucket + "." + t.WebRootDomain
		if err := web.SetupBucket(ctx, env, SiteBucket); err != nil {
			for _, f := range web.Files {
				results = append(results, Result{Target: t.Name, Scenario: web.ScenarioName(f), Op: fmt.Sprintf("GET (wrk c%d)", web.Connections), Unavailable: err.Error()})
			}
		} else {
			results = append(results, web.Run(ctx, t.Name, t.WebEndpoint, host, sampler)...)
		}
		for _, x := range results[len(results)-len(web.Files):] {
			s.logf("  %-22s %-20s %9s req/s %s", x.Scenario, x.Op, fmtRate(x.OpsPerSec), short(x.Unavailable))
		}
	}
	return info, results
}

func hasAll(t *Target, features []string) bool {
	for _, f := range features {
		if !t.Has(f) {
			return false
		}
	}
	return true
}

// runFileServer measures http.FileServer serving the website's files from
// the work dir, as the static-file reference.
func (s *Suite) runFileServer(ctx context.Context, web Web) []Result {
	dir := filepath.Join(s.WorkDir, "fileserver")
	defer os.RemoveAll(dir)
	fail := func(err error) []Result {
		var rs []Result
		for _, f := range web.Files {
			rs = append(rs, Result{Target: FileServerName, Scenario: web.ScenarioName(f), Op: fmt.Sprintf("GET (wrk c%d)", web.Connections), Unavailable: err.Error()})
		}
		return rs
	}
	site := filepath.Join(dir, "site")
	if err := web.WriteFiles(site); err != nil {
		return fail(err)
	}
	s.logf("== %s", FileServerName)
	var base string
	var pids []int
	if s.Exe != "" {
		ports, err := freePorts(1)
		if err != nil {
			return fail(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
		p, err := startProc(filepath.Join(dir, "fileserver.log"), nil, s.Exe, "fileserver", "-addr", addr, "-dir", site)
		if err != nil {
			return fail(err)
		}
		defer p.stop()
		if err := p.waitHTTP(ctx, "http://"+addr+"/"); err != nil {
			return fail(err)
		}
		base, pids = "http://"+addr, []int{p.pid()}
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(err)
		}
		srv := &http.Server{Handler: http.FileServer(http.Dir(site))}
		go srv.Serve(l)
		defer srv.Close()
		base = "http://" + l.Addr().String()
	}
	sampler := NewSampler(pids, 100*time.Millisecond)
	defer sampler.Close()
	rs := web.Run(ctx, FileServerName, base, "", sampler)
	for _, x := range rs {
		s.logf("  %-22s %-20s %9s req/s %s", x.Scenario, x.Op, fmtRate(x.OpsPerSec), short(x.Unavailable))
	}
	return rs
}

// hasWeb reports whether results hold web figures.
func hasWeb(results []Result, web Web) bool {
	for _, x := range results {
		if len(web.Files) > 0 && x.Scenario == web.ScenarioName(web.Files[0]) {
			return true
		}
	}
	return false
}
