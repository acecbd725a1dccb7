package bench

import "context"

// Cluster rows of issue 12: the 4 KiB PUT/GET scenario at 16 clients on a
// 3-node garage-web cluster on this machine (GarageCluster with Direct
// RPC: no proxy between the nodes, whose copying would run in the
// client's process and take its CPU), reported as ClusterName beside the
// single node, and the same on MinIO distributed, 3 nodes × 2 drives with
// no proxy either (MinioCluster with Direct), reported as
// MinioClusterName. The clients are spread over every node's S3 endpoint.
// MinIO refuses loopback peers in a container: its nodes listen on the
// address of the run's own network namespace (bench/cluster-netns.sh,
// which `make bench` uses when it runs as root), and without one it is
// reported as not run, with why.

// ClusterRowClients is the concurrency of the cluster rows.
const ClusterRowClients = 16

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

// NewMinioClusterRows is the MinIO distributed cluster of the cluster
// rows: 3 nodes × 2 drives, no proxies, its nodes on ip (an address of the
// run's own network namespace).
func NewMinioClusterRows(bin, ip string) *MinioCluster {
	return &MinioCluster{Bin: bin, Nodes: 3, Drives: 2, Direct: true, ProxyIP: ip, Label: MinioClusterName}
}

// runClusters runs the cluster rows the suite has (garage-web's, then
// MinIO distributed's) into r, and records those left out.
func (s *Suite) runClusters(ctx context.Context, pl *Payload, r *Report) {
	type row struct {
		l   Launcher
		dir string
	}
	var rows []row
	if s.ClusterBin != "" {
		rows = append(rows, row{namedCluster{&GarageCluster{Bin: s.ClusterBin, Nodes: 3, Direct: true}}, "cluster3"})
	}
	if s.MinioCluster != nil {
		rows = append(rows, row{s.MinioCluster, "minio-cluster3"})
	}
	r.NotRun = append(r.NotRun, s.NotRun...)
	for _, x := range rows {
		if ctx.Err() != nil {
			r.NotRun = append(r.NotRun, NotRun{Name: x.l.Name(), Reason: "suite deadline reached"})
			continue
		}
		info, results := s.runClusterRows(ctx, x.l, x.dir, pl)
		r.Targets = append(r.Targets, info)
		r.Results = append(r.Results, results...)
	}
}

// runClusterRows runs the small-object scenario at ClusterRowClients on
// the cluster l starts.
func (s *Suite) runClusterRows(ctx context.Context, l Launcher, dirName string, pl *Payload) (info TargetInfo, rs []Result) {
	info = TargetInfo{Name: l.Name()}
	st := s.startTarget(ctx, l, dirName, ClusterRowClients, &info)
	if st == nil {
		return info, nil
	}
	defer st.close(&info)
	load := Load{Clients: ClusterRowClients, Duration: s.Profile.Phase}
	sc := PutGet{Size: s.Profile.SmallSize, Put: load, Get: load, Payload: pl}
	rs, err := sc.Run(ctx, st.env)
	if err != nil {
		info.Error = err.Error()
	}
	s.logResults(rs)
	return info, rs
}
