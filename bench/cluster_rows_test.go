package bench

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMinioClusterPlanDirect checks the layout MinIO distributed's nodes
// are given: one endpoint list shared by all, each node's own endpoints on
// the address it listens on (Direct) or on its proxy's (with delays).
func TestMinioClusterPlanDirect(t *testing.T) {
	const ip = "10.213.7.1"
	ports := []int{4001, 4002, 4003, 4004, 4005, 4006}
	m := NewMinioClusterRows("minio", ip)
	m.defaults()
	eps, nodes := m.plan(ip, "/data", ports)
	if len(nodes) != 3 || len(eps) != 6 {
		t.Fatalf("%d nodes, %d endpoints: %v", len(nodes), len(eps), eps)
	}
	want := []string{
		"http://10.213.7.1:4001/data/site-a/d1", "http://10.213.7.1:4001/data/site-a/d2",
		"http://10.213.7.1:4003/data/site-b/d1", "http://10.213.7.1:4003/data/site-b/d2",
		"http://10.213.7.1:4005/data/site-c/d1", "http://10.213.7.1:4005/data/site-c/d2",
	}
	if strings.Join(eps, " ") != strings.Join(want, " ") {
		t.Errorf("endpoints %v, want %v", eps, want)
	}
	for i, n := range nodes {
		own := ip + ":" + strconv.Itoa(ports[2*i])
		if n.Listen != own || n.Local != own || n.Proxy != "" {
			t.Errorf("node %d: %+v, want listen and local %s, no proxy", i, n, own)
		}
		if n.Console != "127.0.0.1:"+strconv.Itoa(ports[2*i+1]) {
			t.Errorf("node %d console %s", i, n.Console)
		}
	}
	if m.Name() != MinioClusterName || !strings.Contains(m.Setup(), "no proxies") {
		t.Errorf("name %q, setup %q", m.Name(), m.Setup())
	}
	if err := m.SetDelay(time.Millisecond); err == nil {
		t.Error("SetDelay in Direct mode should fail")
	}

	d := &MinioCluster{Nodes: 2, Drives: 2, ProxyIP: ip}
	eps2, nodes2 := d.plan(ip, "/data", ports[:4])
	if len(eps2) != 4 || d.Name() != MinioName {
		t.Fatalf("proxied: %v, name %q", eps2, d.Name())
	}
	for i, n := range nodes2 {
		own := ip + ":" + strconv.Itoa(ports[2*i])
		if n.Listen != "127.0.0.1:"+strconv.Itoa(ports[2*i]) || n.Proxy != own || n.Local != own {
			t.Errorf("proxied node %d: %+v", i, n)
		}
	}
}

// clusterReport is a made-up report with both clusters' rows.
func clusterReport() *Report {
	const p = "garage-web"
	return &Report{Primary: p,
		Targets: []TargetInfo{{Name: p}, {Name: ClusterName, IdleRSS: 60 << 20}, {Name: MinioClusterName, IdleRSS: 600 << 20, IdleAnon: 400 << 20}},
		Results: []Result{
			{Target: p, Scenario: "4KiB-c16", Op: "PUT", Clients: 16, OpsPerSec: 2000},
			{Target: p, Scenario: "4KiB-c16", Op: "GET", Clients: 16, OpsPerSec: 4000},
			{Target: ClusterName, Scenario: "4KiB-c16", Op: "PUT", Clients: 16, OpsPerSec: 900, PeakRSS: 90 << 20, PeakAnon: 50 << 20},
			{Target: ClusterName, Scenario: "4KiB-c16", Op: "GET", Clients: 16, OpsPerSec: 1500},
			{Target: MinioClusterName, Scenario: "4KiB-c16", Op: "PUT", Clients: 16, OpsPerSec: 300, PeakRSS: 700 << 20, PeakAnon: 450 << 20},
			{Target: MinioClusterName, Scenario: "4KiB-c16", Op: "GET", Clients: 16, OpsPerSec: 1000},
		},
	}
}

func goalsByName(r *Report) map[string]Goal {
	m := map[string]Goal{}
	for _, g := range r.Goals12() {
		m[g.Name] = g
	}
	return m
}

// TestClusterRowsReport checks the MinIO 3-node column, its memory and
// the informational row comparing the two clusters.
func TestClusterRowsReport(t *testing.T) {
	r := clusterReport()
	g := goalsByName(r)
	for name, want := range map[string]string{
		"3-node cluster, 4 KiB PUT at 16 clients":              "no 45% (900 vs 2000 ops/s)",
		"3-node vs MinIO distributed, 4 KiB PUT at 16 clients": "info 3.00x (900 vs 300 ops/s)",
		"3-node vs MinIO distributed, 4 KiB GET at 16 clients": "info 1.50x (1500 vs 1000 ops/s)",
	} {
		x, ok := g[name]
		if !ok {
			t.Errorf("no goal %q in %v", name, g)
			continue
		}
		if got := x.Met + " " + x.Got; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	var b strings.Builder
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, s := range []string{
		"| figure | garage-web ops/s | MiB/s | p50 | p99 | garage-web 3 nodes ops/s | p99 | ratio | MinIO 3 nodes ops/s | p99 | ratio |",
		"| 4KiB-c16 PUT | 2000 |  |  |  | 900 |  | 2.22x | 300 |  | 6.67x |",
		"MinIO 3 nodes RSS | MinIO 3 nodes anon |",
		"| 4KiB-c16 |  |  | 90.0 MiB | 50.0 MiB | 700.0 MiB | 450.0 MiB |",
		"| 3-node vs MinIO distributed, 4 KiB GET at 16 clients | none (informational): garage-web 3 nodes / MinIO 3 nodes | 1.50x (1500 vs 1000 ops/s) | info |",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
}

// TestClusterRowsNotRun: MinIO distributed left out (no namespace) or
// failing shows why in the goal rows and the notes, never silently.
func TestClusterRowsNotRun(t *testing.T) {
	r := clusterReport()
	r.Results = r.Results[:4]
	r.Targets = r.Targets[:2]
	r.NotRun = []NotRun{{Name: MinioClusterName, Reason: "not root (network namespaces need root)"}}
	g := goalsByName(r)["3-node vs MinIO distributed, 4 KiB PUT at 16 clients"]
	if g.Met != "n/a" || g.Got != "MinIO 3 nodes not run: not root (network namespaces need root)" {
		t.Errorf("not run: %+v", g)
	}
	var b strings.Builder
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "- MinIO 3 nodes not run: not root (network namespaces need root)\n") {
		t.Errorf("notes lack the reason:\n%s", b.String())
	}

	r.NotRun = nil
	r.Targets = append(r.Targets, TargetInfo{Name: MinioClusterName, Error: "start: MinIO site-b: exited"})
	if g := goalsByName(r)["3-node vs MinIO distributed, 4 KiB GET at 16 clients"]; g.Got != "MinIO 3 nodes failed: start: MinIO site-b: exited" {
		t.Errorf("failed: %+v", g)
	}
}

// TestRunClustersWithoutMinio runs the cluster rows' code path on the
// in-process ceiling (no MinIO here) and a MinIO cluster that cannot
// start: its failure is a target error, the other rows are measured.
func TestRunClustersWithoutMinio(t *testing.T) {
	p := SmokeProfile()
	p.Phase = 200 * time.Millisecond
	s := &Suite{Profile: p, Primary: CeilingName, WorkDir: t.TempDir(),
		MinioCluster: NewMinioClusterRows("/nonexistent/minio", "")}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, rs := s.runClusterRows(ctx, &Ceiling{}, "ceiling-rows", NewPayload(1))
	if info.Error != "" || len(rs) != 2 {
		t.Fatalf("ceiling rows: %+v %+v", info, rs)
	}
	for _, x := range rs {
		if x.Clients != ClusterRowClients || x.Ops == 0 || x.Errors != 0 || x.Unavailable != "" {
			t.Errorf("%s: %+v", x.Key(), x)
		}
	}
	r := &Report{Primary: CeilingName}
	s.NotRun = []NotRun{{Name: "other", Reason: "why"}}
	s.runClusters(ctx, NewPayload(1), r)
	if len(r.Targets) != 1 || r.Targets[0].Name != MinioClusterName || !strings.Contains(r.Targets[0].Error, "network namespace") {
		t.Errorf("targets %+v", r.Targets)
	}
	if len(r.NotRun) != 1 || r.NotRun[0].Name != "other" {
		t.Errorf("not run %+v", r.NotRun)
	}
}
