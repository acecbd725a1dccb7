package bench

import (
	"fmt"
	"strings"
)

// The memory targets of issue 12.
const (
	AnonGoal12    = 64 << 20 // anonymous RSS during every scenario
	IdleRSSGoal12 = 20 << 20
)

// NginxName is the nginx reference of the web endpoint in reports.
const NginxName = "nginx"

// ClusterName is the 3-node garage-web cluster in reports.
const ClusterName = "garage-web 3 nodes"

// MinioClusterName is MinIO distributed, 3 nodes, in reports.
const MinioClusterName = "MinIO 3 nodes"

// Goals12 evaluates the targets of issue 12 on the report.
func (r *Report) Goals12() []Goal {
	var goals []Goal
	add := func(g Goal) { goals = append(goals, g) }
	vsMinio := func(name, key string, want float64) {
		g := Goal{Name: name, Want: fmt.Sprintf(">= %.1fx %s", want, MinioName), Met: "n/a"}
		p, ok1 := r.find(r.Primary, key)
		m, ok2 := r.find(MinioName, key)
		if ok1 && ok2 && p.Unavailable == "" && m.Unavailable == "" && m.OpsPerSec > 0 {
			x := p.OpsPerSec / m.OpsPerSec
			g.Got = fmt.Sprintf("%.2fx (%s vs %s ops/s)", x, fmtRate(p.OpsPerSec), fmtRate(m.OpsPerSec))
			g.Met = yesNo(x >= want)
		}
		add(g)
	}
	vsRef := func(name, key, ref string, want float64) {
		g := Goal{Name: name, Want: fmt.Sprintf(">= %.0f%% of %s", 100*want, ref), Met: "n/a"}
		p, ok1 := r.find(r.Primary, key)
		rf, ok2 := r.ref(ref)
		if ok1 && ok2 && p.Unavailable == "" && rf.MiBPerSec > 0 {
			f := p.MiBPerSec / rf.MiBPerSec
			g.Got = fmt.Sprintf("%.0f%% (%s of %s MiB/s)", 100*f, fmtMiB(p.MiBPerSec), fmtMiB(rf.MiBPerSec))
			g.Met = yesNo(f >= want)
		}
		add(g)
	}
	huge := r.scenarioWith("-c2 PUT", 16<<20)
	if huge != "" {
		vsMinio(huge+" PutObject vs MinIO", huge+" PUT", 1.5)
		vsRef(huge+" PutObject vs disk", huge+" PUT", RefDiskWrite, 0.8)
	}
	if mp := r.scenarioWith(" upload", 0); strings.HasPrefix(mp, "multipart-") {
		vsMinio(mp+" upload vs MinIO", mp+" upload", 1.5)
		vsRef(mp+" upload vs disk", mp+" upload", RefDiskWrite, 0.8)
		vsRef(mp+" download", mp+" download", RefLoopback, 0.9)
	}
	for _, op := range []string{"PUT", "GET"} {
		vsMinio("1 MiB "+op+", 16 clients", "1MiB-c16 "+op, 1.5)
	}
	vsMinio("4 KiB GET, 16 clients", "4KiB-c16 GET", 2)
	vsMinio("4 KiB GET, 64 clients", "4KiB-c64 GET", 2)
	vsMinio("4 KiB PUT, 16 clients", "4KiB-c16 PUT", 2.5)

	list := Goal{Name: "full listing", Want: ">= 200,000 keys/s", Met: "n/a"}
	page := Goal{Name: "first page of 1,000 keys", Want: "p50 <= 5 ms (issue: in a bucket of 1,000,000)", Met: "n/a"}
	for _, x := range r.Results {
		if x.Target != r.Primary || x.Unavailable != "" {
			continue
		}
		switch x.Op {
		case "LIST all (keys/s)":
			list.Got = fmtRate(x.OpsPerSec) + " keys/s"
			list.Met = yesNo(x.OpsPerSec >= 200_000)
		case "LIST first page":
			page.Got = "p50 " + fmtDur(x.P50)
			page.Met = yesNo(x.P50 <= 5e6)
		}
	}
	add(list)
	add(page)

	web := Goal{Name: "web endpoint, 4 KiB", Want: ">= 60% of " + NginxName + " req/s", Met: "n/a"}
	for _, x := range r.Results {
		if x.Target != NginxName || x.Scenario != "web-4KiB" {
			continue
		}
		p, ok := r.find(r.Primary, x.Key())
		switch {
		case x.Unavailable != "":
			web.Got = "nginx unavailable: " + short(x.Unavailable)
		case !ok || p.Unavailable != "":
			web.Got = "garage-web not measured"
		case x.OpsPerSec > 0:
			f := p.OpsPerSec / x.OpsPerSec
			web.Got = fmt.Sprintf("%.0f%% (%s vs %s req/s)", 100*f, fmtRate(p.OpsPerSec), fmtRate(x.OpsPerSec))
			web.Met = yesNo(f >= 0.6)
		}
	}
	add(web)

	grow := Goal{Name: "churn: metadata after 5 rounds", Want: "<= 1.1x its size after round 1", Met: "n/a"}
	per := Goal{Name: "churn: metadata per live object", Want: "<= inline bytes + 512 B", Met: "n/a"}
	if c, ok := r.churn(r.Primary); ok {
		if x := c.Ratio(); x > 0 {
			grow.Got = fmt.Sprintf("%.2fx (%s after round 1, %s after round %d)", x, fmtBytes(c.AfterRound[0]), fmtBytes(c.AfterRound[len(c.AfterRound)-1]), len(c.AfterRound))
			grow.Met = yesNo(len(c.AfterRound) >= 5 && x <= 1.1)
		}
		if c.Size > 0 {
			per.Got = fmt.Sprintf("%.0f B per %s object (inline %d B + %.0f B)", c.PerLiveObject, SizeName(c.Size), c.Size, c.PerLiveObject-float64(c.Size))
			per.Met = yesNo(c.PerLiveObject <= float64(c.Size)+512)
		}
	}
	add(grow)
	add(per)

	anon := Goal{Name: "anonymous RSS, every scenario", Want: "<= 64 MiB", Met: "n/a"}
	if worst, peak := r.peakAnon(r.Primary); peak > 0 {
		anon.Got = fmt.Sprintf("peak %s (%s)", fmtBytes(peak), worst)
		anon.Met = yesNo(peak <= AnonGoal12)
	}
	add(anon)
	idle := Goal{Name: "idle RSS", Want: "<= 20 MiB", Met: "n/a"}
	for _, t := range r.Targets {
		if t.Name == r.Primary && t.IdleRSS > 0 {
			idle.Got = fmt.Sprintf("%s (anon %s)", fmtBytes(t.IdleRSS), fmtBytes(t.IdleAnon))
			idle.Met = yesNo(t.IdleRSS <= IdleRSSGoal12)
		}
	}
	add(idle)

	for _, op := range []string{"PUT", "GET"} {
		g := Goal{Name: "3-node cluster, 4 KiB " + op + " at 16 clients", Want: ">= 50% of the single node", Met: "n/a"}
		c, ok1 := r.find(ClusterName, "4KiB-c16 "+op)
		p, ok2 := r.find(r.Primary, "4KiB-c16 "+op)
		if ok1 && ok2 && c.Unavailable == "" && p.Unavailable == "" && p.OpsPerSec > 0 {
			f := c.OpsPerSec / p.OpsPerSec
			g.Got = fmt.Sprintf("%.0f%% (%s vs %s ops/s)", 100*f, fmtRate(c.OpsPerSec), fmtRate(p.OpsPerSec))
			g.Met = yesNo(f >= 0.5)
		} else if ok1 && c.Unavailable != "" {
			g.Got = "unavailable: " + short(c.Unavailable)
		} else if e := r.targetError(ClusterName); e != "" {
			g.Got = "failed: " + short(e)
		}
		add(g)
	}
	for _, op := range []string{"PUT", "GET"} {
		add(r.clusterVsMinio("4KiB-c16 " + op))
	}
	return goals
}

// clusterVsMinio compares the 3-node garage-web cluster with MinIO
// distributed on figure key: informational, issue 12 sets no ratio.
func (r *Report) clusterVsMinio(key string) Goal {
	size, op, _ := strings.Cut(key, " ")
	size, clients, _ := strings.Cut(size, "-c")
	g := Goal{Name: fmt.Sprintf("3-node vs MinIO distributed, %s %s at %s clients", strings.Replace(size, "KiB", " KiB", 1), op, clients),
		Want: "none (informational): " + ClusterName + " / " + MinioClusterName, Met: "n/a"}
	c, ok1 := r.find(ClusterName, key)
	m, ok2 := r.find(MinioClusterName, key)
	switch {
	case ok1 && ok2 && c.Unavailable == "" && m.Unavailable == "" && m.OpsPerSec > 0:
		g.Got = fmt.Sprintf("%.2fx (%s vs %s ops/s)", c.OpsPerSec/m.OpsPerSec, fmtRate(c.OpsPerSec), fmtRate(m.OpsPerSec))
		g.Met = "info"
	case r.notRun(MinioClusterName) != "":
		g.Got = MinioClusterName + " not run: " + short(r.notRun(MinioClusterName))
	case r.targetError(MinioClusterName) != "":
		g.Got = MinioClusterName + " failed: " + short(r.targetError(MinioClusterName))
	case ok2 && m.Unavailable != "":
		g.Got = MinioClusterName + " unavailable: " + short(m.Unavailable)
	case !ok1:
		g.Got = ClusterName + " not measured"
	case c.Unavailable != "":
		g.Got = ClusterName + " unavailable: " + short(c.Unavailable)
	default:
		g.Got = MinioClusterName + " not measured"
	}
	return g
}

// notRun is why target was left out of the run ("" if it was not).
func (r *Report) notRun(target string) string {
	for _, n := range r.NotRun {
		if n.Name == target {
			return n.Reason
		}
	}
	return ""
}

// targetError is the error target stopped with ("" if none).
func (r *Report) targetError(target string) string {
	for _, t := range r.Targets {
		if t.Name == target {
			return t.Error
		}
	}
	return ""
}

// scenarioWith returns the primary's first scenario whose figure key ends
// in suffix and whose object size is at least minSize ("" if none).
func (r *Report) scenarioWith(suffix string, minSize int64) string {
	for _, x := range r.Results {
		if x.Target == r.Primary && strings.HasSuffix(x.Key(), suffix) && x.Size >= minSize {
			return x.Scenario
		}
	}
	return ""
}

// peakAnon is target's highest RssAnon over its scenarios, and the figure
// where it was seen.
func (r *Report) peakAnon(target string) (string, int64) {
	var key string
	var peak int64
	for _, x := range r.Results {
		if x.Target == target && x.PeakAnon > peak {
			key, peak = x.Key(), x.PeakAnon
		}
	}
	return key, peak
}

func (r *Report) goals12Table(b *strings.Builder) {
	b.WriteString("### Targets of issue 12\n\n")
	row(b, "goal", "want", "got", "met")
	sep(b, 4)
	for _, g := range r.Goals12() {
		row(b, g.Name, g.Want, g.Got, g.Met)
	}
	b.WriteString("\n")
}

// scenarioMemoryTable shows, per scenario, the peak RSS and anonymous RSS
// of every server target.
func (r *Report) scenarioMemoryTable(b *strings.Builder) {
	var names []string
	for _, t := range r.Targets {
		if t.Name != CeilingName {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	type peaks struct{ rss, anon int64 }
	by := map[string]map[string]peaks{}
	var scenarios []string
	for _, x := range r.Results {
		if x.PeakRSS == 0 && x.PeakAnon == 0 {
			continue
		}
		if by[x.Scenario] == nil {
			by[x.Scenario] = map[string]peaks{}
			scenarios = append(scenarios, x.Scenario)
		}
		p := by[x.Scenario][x.Target]
		by[x.Scenario][x.Target] = peaks{max(p.rss, x.PeakRSS), max(p.anon, x.PeakAnon)}
	}
	b.WriteString("### Memory per scenario (peak RSS / peak anonymous RSS)\n\n")
	fmt.Fprintf(b, "Sampled every 100 ms from /proc/PID/status (VmRSS, RssAnon); issue 12 wants anon <= %s in every scenario and idle RSS <= %s.\n\n", fmtBytes(AnonGoal12), fmtBytes(IdleRSSGoal12))
	head := []string{"scenario"}
	for _, n := range names {
		head = append(head, n+" RSS", n+" anon")
	}
	row(b, head...)
	sep(b, len(head))
	idle := []string{"idle"}
	for _, n := range names {
		for _, t := range r.Targets {
			if t.Name == n {
				idle = append(idle, fmtBytes(t.IdleRSS), fmtBytes(t.IdleAnon))
			}
		}
	}
	row(b, idle...)
	for _, sc := range scenarios {
		cells := []string{sc}
		for _, n := range names {
			p := by[sc][n]
			cells = append(cells, fmtBytes(p.rss), fmtBytes(p.anon))
		}
		row(b, cells...)
	}
	b.WriteString("\n")
}
