package bench

import (
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	m := parseMetrics([]byte("# HELP x y\n# TYPE x gauge\ngarageweb_metadata_bytes 1.2345e+06\n" +
		`garageweb_table_gc_collected_total{table="objects"} 200` + "\nbad line\n"))
	if m["garageweb_metadata_bytes"] != 1234500 || m[collectedObjects] != 200 || len(m) != 2 {
		t.Fatalf("parsed %v", m)
	}
}

// TestGoals12 evaluates issue 12's table on a made-up report.
func TestGoals12(t *testing.T) {
	const p = "garage-web"
	r := &Report{Primary: p,
		Targets: []TargetInfo{{Name: p, IdleRSS: 18 << 20, IdleAnon: 6 << 20}, {Name: MinioName, IdleRSS: 90 << 20}},
		Results: []Result{
			{Target: p, Scenario: "4KiB-c16", Op: "GET", OpsPerSec: 3000, PeakAnon: 20 << 20},
			{Target: MinioName, Scenario: "4KiB-c16", Op: "GET", OpsPerSec: 1000},
			{Target: p, Scenario: "64MiB-c2", Op: "PUT", Size: 64 << 20, OpsPerSec: 3, MiBPerSec: 192, PeakAnon: 70 << 20},
			{Target: MinioName, Scenario: "64MiB-c2", Op: "PUT", Size: 64 << 20, OpsPerSec: 4, MiBPerSec: 256},
			{Target: p, Scenario: "web-4KiB", Op: "GET (wrk c16)", OpsPerSec: 7000},
			{Target: NginxName, Scenario: "web-4KiB", Op: "GET (wrk c16)", OpsPerSec: 10000},
			{Target: ClusterName, Scenario: "4KiB-c16", Op: "GET", OpsPerSec: 1200},
			{Target: p, Scenario: "churn-4KiB", Op: "round 1 PUT", Size: 4096, MetaBefore: 1 << 20, MetaBytes: 1<<20 + 4500*100, LiveObjects: 100},
			{Target: p, Scenario: "churn-4KiB", Op: "round 1 DELETE", MetaBytes: 2 << 20},
			{Target: p, Scenario: "churn-4KiB", Op: "round 2 PUT", Size: 4096, MetaBytes: 2 << 20},
			{Target: p, Scenario: "churn-4KiB", Op: "round 2 DELETE", MetaBytes: 2<<20 + 1<<18},
		},
		References: []Reference{{Name: RefDiskWrite, MiBPerSec: 200}},
	}
	met := map[string]string{}
	for _, g := range r.Goals12() {
		met[g.Name] = g.Met + " " + g.Got
	}
	for name, want := range map[string]string{
		"4 KiB GET, 16 clients":                   "yes 3.00x",
		"4 KiB GET, 64 clients":                   "n/a",
		"64MiB-c2 PutObject vs MinIO":             "no 0.75x",
		"64MiB-c2 PutObject vs disk":              "yes 96%",
		"web endpoint, 4 KiB":                     "yes 70%",
		"churn: metadata after 5 rounds":          "no 1.12x",
		"churn: metadata per live object":         "yes 4500 B",
		"anonymous RSS, every scenario":           "no peak 70.0 MiB (64MiB-c2 PUT)",
		"idle RSS":                                "yes",
		"3-node cluster, 4 KiB GET at 16 clients": "no 40%",
	} {
		if !strings.HasPrefix(met[name], want) {
			t.Errorf("%s: got %q, want prefix %q", name, met[name], want)
		}
	}
	var b strings.Builder
	r.goals12Table(&b)
	r.scenarioMemoryTable(&b)
	r.churnTable(&b)
	for _, s := range []string{"### Targets of issue 12", "| 64MiB-c2 |  | 70.0 MiB |", "| garage-web | 2 | 2.2 MiB | 1.12x |"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, b.String())
		}
	}
}
