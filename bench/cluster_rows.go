package bench

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// Cluster rows of issue 12: the 4 KiB PUT/GET scenario at 16 clients on a
// 3-node garage-web cluster on this machine (GarageCluster with Direct
// RPC: no proxy between the nodes, whose copying would run in the
// client's process and take its CPU), reported as ClusterName beside the single node. The clients are spread
// over the three nodes' S3 endpoints. MinIO's distributed mode needs the
// network namespaces of `make bench-cluster` (it refuses loopback peers)
// and is not run here.

// namedCluster is a GarageCluster reported under ClusterName, with every
// node's S3 endpoint given to the clients.
type namedCluster struct{ *GarageCluster }

func (namedCluster) Name() string { return ClusterName }

func (c namedCluster) Start(ctx context.Context, dir string) (*Target, error) {
	t, err := c.GarageCluster.Start(ctx, dir)
	if err != nil {
		return nil, err
	}
	t.Name = ClusterName
	t.Endpoints = nil
	for _, a := range c.GarageCluster.s3Addrs {
		t.Endpoints = append(t.Endpoints, "http://"+a)
	}
	return t, nil
}

// runClusterRows runs the small-object scenario on a 3-node cluster.
func (s *Suite) runClusterRows(ctx context.Context, pl *Payload) (TargetInfo, []Result) {
	l := namedCluster{&GarageCluster{Bin: s.ClusterBin, Nodes: 3, Direct: true}}
	info := TargetInfo{Name: l.Name()}
	dir := filepath.Join(s.WorkDir, "cluster3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		info.Error = err.Error()
		return info, nil
	}
	s.logf("== %s: starting", l.Name())
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
	sampler := NewSampler(t.PIDs, 100*time.Millisecond)
	defer sampler.Close()
	co := s.Client
	co.MaxConns = max(co.MaxConns, 16)
	env := &Env{Target: t, Clients: NewClients(t, co), Bucket: BenchBucket, Sampler: sampler, Logf: s.logf}
	if err := EnsureBucket(ctx, env, BenchBucket); err != nil {
		info.Error = err.Error()
		return info, nil
	}
	load := Load{Clients: 16, Duration: s.Profile.Phase}
	rs, err := PutGet{Size: s.Profile.SmallSize, Put: load, Get: load, Payload: pl}.Run(ctx, env)
	if err != nil {
		info.Error = err.Error()
	}
	for _, x := range rs {
		s.logf("  %-22s %-20s %9s ops/s p50 %8s p99 %8s %s", x.Scenario, x.Op, fmtRate(x.OpsPerSec), fmtDur(x.P50), fmtDur(x.P99), short(x.Unavailable))
	}
	info.HWM = sampler.HWM()
	return info, rs
}
