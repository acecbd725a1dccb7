package bench

import (
	"fmt"
	"strings"
)

// Baseline names the goals compare against.
const (
	MinioName   = "MinIO"
	CeilingName = "ceiling"
)

// Goal is one target of issue 5, evaluated on a report.
type Goal struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	// Met is "yes", "no", "n/a" (a figure is missing) or "info" (a ratio
	// reported beside a goal, not a goal itself).
	Met string `json:"met"`
}

// IdleRSSGoal is the idle-RSS target of issue 5.
const IdleRSSGoal = 30 << 20

// Goals evaluates the targets of issue 5 on the report.
func (r *Report) Goals() []Goal {
	var goals []Goal
	ratio := func(name, key string, want float64) {
		g := Goal{Name: name, Want: fmt.Sprintf(">= %.1fx %s ops/s", want, MinioName), Met: "n/a"}
		p, ok1 := r.find(r.Primary, key)
		m, ok2 := r.find(MinioName, key)
		if ok1 && ok2 && p.Unavailable == "" && m.Unavailable == "" && m.OpsPerSec > 0 {
			x := p.OpsPerSec / m.OpsPerSec
			g.Got = fmt.Sprintf("%.2fx (%s vs %s ops/s)", x, fmtRate(p.OpsPerSec), fmtRate(m.OpsPerSec))
			g.Met = yesNo(x >= want)
		}
		goals = append(goals, g)
	}
	ratio("4 KiB PUT, 16 clients", "4KiB-c16 PUT", 1.5)
	ratio("4 KiB GET, 16 clients", "4KiB-c16 GET", 1.5)

	disk := func(name, op string, refs ...string) {
		g := Goal{Name: name, Want: ">= 80% of min(" + strings.Join(refs, ", ") + ")", Met: "n/a"}
		limit := 0.0
		for _, n := range refs {
			if ref, ok := r.ref(n); ok && (limit == 0 || ref.MiBPerSec < limit) {
				limit = ref.MiBPerSec
			}
		}
		for _, x := range r.Results {
			if x.Target == r.Primary && strings.HasPrefix(x.Scenario, "multipart-") && x.Op == op && x.Unavailable == "" && limit > 0 {
				f := x.MiBPerSec / limit
				g.Got = fmt.Sprintf("%.0f%% (%s of %s MiB/s)", 100*f, fmtMiB(x.MiBPerSec), fmtMiB(limit))
				g.Met = yesNo(f >= 0.8)
			}
		}
		goals = append(goals, g)
	}
	disk("multipart upload (1 GiB in make bench)", "upload", RefDiskWrite, RefLoopback)
	disk("multipart download", "download", RefDiskRead, RefLoopback)

	for _, op := range []string{"LIST first page", "LIST all (keys/s)"} {
		g := Goal{Name: op, Want: "at least as fast as " + MinioName, Met: "n/a"}
		for _, x := range r.Results {
			if x.Target != r.Primary || x.Op != op || x.Unavailable != "" {
				continue
			}
			if m, ok := r.find(MinioName, x.Key()); ok && m.Unavailable == "" && m.OpsPerSec > 0 {
				if op == "LIST first page" {
					g.Got = fmt.Sprintf("p50 %s vs %s", fmtDur(x.P50), fmtDur(m.P50))
					g.Met = yesNo(x.P50 <= m.P50)
				} else {
					g.Got = fmt.Sprintf("%s vs %s keys/s", fmtRate(x.OpsPerSec), fmtRate(m.OpsPerSec))
					g.Met = yesNo(x.OpsPerSec >= m.OpsPerSec)
				}
			}
		}
		goals = append(goals, g)
	}

	for _, x := range r.Results {
		if x.Target != FileServerName {
			continue
		}
		g := Goal{Name: "web endpoint, " + x.Scenario, Want: ">= 80% of " + FileServerName + " req/s", Met: "n/a"}
		p, ok := r.find(r.Primary, x.Key())
		switch {
		case !ok:
			g.Got = "not measured"
		case p.Unavailable != "":
			g.Got = "unavailable: " + short(p.Unavailable)
		case x.Unavailable == "" && x.OpsPerSec > 0:
			f := p.OpsPerSec / x.OpsPerSec
			g.Got = fmt.Sprintf("%.0f%% (%s vs %s req/s)", 100*f, fmtRate(p.OpsPerSec), fmtRate(x.OpsPerSec))
			g.Met = yesNo(f >= 0.8)
		}
		goals = append(goals, g)
	}

	g := Goal{Name: "idle RSS", Want: "< 30 MiB", Met: "n/a"}
	for _, t := range r.Targets {
		if t.Name == r.Primary && t.IdleRSS > 0 {
			g.Got = fmtBytes(t.IdleRSS)
			g.Met = yesNo(t.IdleRSS < IdleRSSGoal)
		}
	}
	goals = append(goals, g)
	return goals
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (r *Report) goalsTable(b *strings.Builder) {
	b.WriteString("### Targets of issue 5\n\n")
	row(b, "goal", "want", "got", "met")
	sep(b, 4)
	for _, g := range r.Goals() {
		row(b, g.Name, g.Want, g.Got, g.Met)
	}
	b.WriteString("\n")
}
