package bench

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// startedTarget is a target started for measuring: its memory sampler and
// an Env whose clients reach every endpoint, with the bench bucket made.
// Suite.runTarget (every scenario) and Suite.runClusterRows (the cluster
// rows) both start their targets with Suite.startTarget.
type startedTarget struct {
	l       Launcher
	env     *Env
	sampler *Sampler
	logf    func(format string, args ...any)
}

// idleSettle is how long a started target is left alone before its idle
// memory is read.
const idleSettle = 2 * time.Second

// startTarget starts l with its files in WorkDir/dirName, records its idle
// memory in info after idleSettle, and makes clients with a pool for
// maxClients concurrent requests per endpoint and the bench bucket. On
// failure it sets info.Error, stops l and returns nil; otherwise the caller
// ends the measurement with close. The dir is left in place: removing
// hundreds of thousands of files takes long; the caller removes WorkDir
// after the run.
func (s *Suite) startTarget(ctx context.Context, l Launcher, dirName string, maxClients int, info *TargetInfo) *startedTarget {
	dir := filepath.Join(s.WorkDir, dirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		info.Error = err.Error()
		return nil
	}
	s.logf("== %s: starting", l.Name())
	t, err := l.Start(ctx, dir)
	if err != nil {
		info.Error = "start: " + err.Error()
		s.logf("%s: %s", l.Name(), info.Error)
		s.stopLauncher(l)
		return nil
	}
	st := &startedTarget{l: l, sampler: NewSampler(t.PIDs, 100*time.Millisecond), logf: s.logf}
	// Let the server settle before reading its idle memory.
	select {
	case <-ctx.Done():
	case <-time.After(idleSettle):
	}
	idle := st.sampler.Status()
	info.IdleRSS, info.IdleAnon = idle.RSS, idle.Anon
	co := s.Client
	co.MaxConns = max(co.MaxConns, maxClients)
	st.env = &Env{Target: t, Clients: NewClients(t, co), Bucket: BenchBucket, Sampler: st.sampler, Logf: s.logf}
	if err := EnsureBucket(ctx, st.env, BenchBucket); err != nil {
		info.Error = err.Error()
		s.logf("%s: %s", l.Name(), info.Error)
		st.close(info)
		return nil
	}
	return st
}

// close records the target's lifetime peak memory in info, stops sampling
// and stops the target.
func (st *startedTarget) close(info *TargetInfo) {
	info.HWM = st.sampler.HWM()
	st.sampler.Close()
	if err := st.l.Stop(); err != nil {
		st.logf("%s: stop: %v", st.l.Name(), err)
	}
}

func (s *Suite) stopLauncher(l Launcher) {
	if err := l.Stop(); err != nil {
		s.logf("%s: stop: %v", l.Name(), err)
	}
}

// logResults logs a scenario's figures, one line each.
func (s *Suite) logResults(rs []Result) {
	for _, x := range rs {
		s.logf("  %-22s %-20s %9s ops/s %8s MiB/s p50 %8s p99 %8s %s%s", x.Scenario, x.Op, fmtRate(x.OpsPerSec), fmtMiB(x.MiBPerSec), fmtDur(x.P50), fmtDur(x.P99), short(x.Unavailable), short(x.Note))
	}
}
