package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DelayLauncher is a cluster launcher whose nodes reach each other through
// delaying proxies, with a delay that can be changed while it runs.
type DelayLauncher interface {
	Launcher
	// SetDelay sets the one-way delay between nodes.
	SetDelay(oneWay time.Duration) error
	// Setup describes the cluster in one line (nodes, drives, sites).
	Setup() string
}

// Setup describes the garage-web cluster.
func (g *GarageCluster) Setup() string {
	n := g.Nodes
	if n == 0 {
		n = 3
	}
	return fmt.Sprintf("%d nodes on %d sites, replication factor 3, consistency_mode %s; client next to node A", n, n, orDefault(g.ConsistencyMode, "consistent"))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ClusterSuite runs the latency scenario against each cluster: once with
// OneWay between nodes and, if Baseline, again on the same running cluster
// with the delays set to 0 (what CPU, disks and loopback cost alone).
type ClusterSuite struct {
	OneWay    time.Duration
	Baseline  bool
	Latency   LatencyRun
	Launchers []DelayLauncher
	WorkDir   string
	Client    ClientOptions
	Notes     []string
	Logf      func(format string, args ...any)
}

func (s *ClusterSuite) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// bucketTimeout bounds creating the bench bucket on a cluster just formed.
const bucketTimeout = 60 * time.Second

// Run runs every launcher in turn; a launcher that fails is recorded in the
// report, not returned.
func (s *ClusterSuite) Run(ctx context.Context, m Machine) *ClusterReport {
	start := time.Now()
	r := &ClusterReport{Machine: m, OneWay: s.OneWay, Ops: s.Latency.Ops, Notes: s.Notes}
	if s.Latency.IdleOps > 0 {
		r.Idle = s.Latency.Idle
	}
	for _, l := range s.Launchers {
		if ctx.Err() != nil {
			r.Targets = append(r.Targets, ClusterTarget{Name: l.Name(), Setup: l.Setup(), Error: "not run: deadline reached"})
			continue
		}
		info, figs := s.runOne(ctx, l)
		r.Targets = append(r.Targets, info)
		r.Figures = append(r.Figures, figs...)
	}
	r.Elapsed = time.Since(start).Round(time.Second).String()
	return r
}

func (s *ClusterSuite) runOne(ctx context.Context, l DelayLauncher) (ClusterTarget, []LatencyFigure) {
	info := ClusterTarget{Name: l.Name(), Setup: l.Setup()}
	dir := filepath.Join(s.WorkDir, l.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		info.Error = err.Error()
		return info, nil
	}
	s.logf("== %s: starting (%s)", l.Name(), l.Setup())
	t0 := time.Now()
	t, err := l.Start(ctx, dir)
	defer func() {
		if err := l.Stop(); err != nil {
			s.logf("%s: stop: %v", l.Name(), err)
		}
	}()
	if err != nil {
		info.Error = "start: " + err.Error()
		s.logf("%s", info.Error)
		return info, nil
	}
	s.logf("%s: up in %s", l.Name(), time.Since(t0).Round(100*time.Millisecond))
	sampler := NewSampler(t.PIDs, time.Second)
	defer sampler.Close()
	env := &Env{Target: t, Clients: NewClients(t, s.Client), Bucket: BenchBucket, Sampler: sampler, Logf: s.logf}
	if err := s.ensureBucket(ctx, env); err != nil {
		info.Error = err.Error()
		s.logf("%s", info.Error)
		return info, nil
	}
	delays := []time.Duration{s.OneWay}
	if s.Baseline {
		delays = append(delays, 0)
	}
	var figs []LatencyFigure
	for _, d := range delays {
		if err := l.SetDelay(d); err != nil {
			info.Error = err.Error()
			return info, figs
		}
		fs, err := s.Latency.Run(ctx, env, d)
		figs = append(figs, fs...)
		if err != nil {
			info.Error = err.Error()
			s.logf("%s", info.Error)
			return info, figs
		}
	}
	return info, figs
}

// ensureBucket creates the bench bucket, retrying while a cluster that
// just formed is not yet ready for writes.
func (s *ClusterSuite) ensureBucket(ctx context.Context, env *Env) error {
	ctx, cancel := context.WithTimeout(ctx, bucketTimeout)
	defer cancel()
	for {
		err := EnsureBucket(ctx, env, env.Bucket)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bucket %s on %s: %w", env.Bucket, env.Target.Name, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
