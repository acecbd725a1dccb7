package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// ClusterTarget is one cluster of a ClusterSuite run.
type ClusterTarget struct {
	Name  string `json:"name"`
	Setup string `json:"setup"`
	Error string `json:"error,omitempty"`
}

// ClusterReport is the outcome of a ClusterSuite run.
type ClusterReport struct {
	Machine Machine         `json:"machine"`
	OneWay  time.Duration   `json:"one_way_ns"`
	Ops     int             `json:"ops_per_figure"`
	Idle    time.Duration   `json:"idle_ns,omitempty"` // pause before each OpIdleGET
	Notes   []string        `json:"notes,omitempty"`
	Targets []ClusterTarget `json:"targets"`
	Figures []LatencyFigure `json:"figures"`
	Elapsed string          `json:"elapsed"`
}

// RTT is the round trip between two nodes.
func (r *ClusterReport) RTT() time.Duration { return 2 * r.OneWay }

// JSON writes the report as indented JSON.
func (r *ClusterReport) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// figure finds a figure (ok false if it was not measured).
func (r *ClusterReport) figure(target string, oneWay time.Duration, op string, size int64) (LatencyFigure, bool) {
	for _, f := range r.Figures {
		if f.Target == target && f.OneWay == oneWay && f.Op == op && f.Size == size && f.Ops > 0 {
			return f, true
		}
	}
	return LatencyFigure{}, false
}

// sizes in the order first measured.
func (r *ClusterReport) sizes() []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, f := range r.Figures {
		if !seen[f.Size] {
			seen[f.Size] = true
			out = append(out, f.Size)
		}
	}
	return out
}

// Goals checks a target (garage-web) against issue 8's latency targets: small PUT
// p50 ≤ 1 RTT + 10 ms, small GET p50 ≤ 1 RTT, large PUT p50 ≤ 2 RTT +
// transfer, where transfer is garage-web's own large PUT p50 with the
// delays off (loopback transfer, hashing and fsyncs).
func (r *ClusterReport) Goals(target string) []Goal {
	sizes := r.sizes()
	if len(sizes) == 0 {
		return nil
	}
	rtt := r.RTT()
	small, large := sizes[0], sizes[len(sizes)-1]
	check := func(name string, want time.Duration, wantText string, f LatencyFigure, ok bool) Goal {
		g := Goal{Name: name, Want: wantText}
		if !ok {
			g.Got, g.Met = "not measured", "unknown"
			return g
		}
		g.Got = fmt.Sprintf("p50 %s (%s RTT)", fmtMs(f.P50), fmtRTT(f.P50, rtt))
		g.Met = yesNo(f.P50 <= want)
		return g
	}
	var gs []Goal
	f, ok := r.figure(target, r.OneWay, "PUT", small)
	gs = append(gs, check(SizeName(small)+" PUT (inline)", rtt+10*time.Millisecond, fmt.Sprintf("p50 ≤ 1 RTT + 10 ms = %s", fmtMs(rtt+10*time.Millisecond)), f, ok))
	f, ok = r.figure(target, r.OneWay, "GET", small)
	gs = append(gs, check(SizeName(small)+" GET", rtt, fmt.Sprintf("p50 ≤ 1 RTT = %s", fmtMs(rtt)), f, ok))
	if large != small {
		f, ok = r.figure(target, r.OneWay, "PUT", large)
		base, bok := r.figure(target, 0, "PUT", large)
		if bok {
			want := 2*rtt + base.P50
			gs = append(gs, check(SizeName(large)+" PUT", want, fmt.Sprintf("p50 ≤ 2 RTT + transfer = %s (transfer: the same PUT with the delays off, p50 %s)", fmtMs(want), fmtMs(base.P50)), f, ok))
		} else {
			g := check(SizeName(large)+" PUT", 0, "p50 ≤ 2 RTT + transfer", f, ok)
			g.Met = "unknown (no baseline with the delays off)"
			gs = append(gs, g)
		}
	}
	return gs
}

// fmtMs is a latency in milliseconds with one decimal.
func fmtMs(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// fmtRTT is d in round trips, two decimals.
func fmtRTT(d, rtt time.Duration) string {
	if rtt <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(d)/float64(rtt))
}

// Markdown writes the report: the targets for the first target
// (garage-web), then every figure with its value in RTTs.
func (r *ClusterReport) Markdown(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	rtt := r.RTT()
	fmt.Fprintf(&b, "Cluster latency, %s, %d CPUs, %s RAM, disk %s, kernel %s, %s; ran in %s.\n\n", m.Date, m.Nproc, m.Memory, m.Disk, m.Kernel, m.GoVersion, r.Elapsed)
	if m.Load != "" {
		fmt.Fprintf(&b, "Load average at start: %s.\n\n", m.Load)
	}
	if m.Command != "" {
		src := ""
		if m.Source != "" {
			src = " on " + m.Source
		}
		fmt.Fprintf(&b, "Command: `%s`%s\n\n", m.Command, src)
	}
	fmt.Fprintf(&b, "- Sites %s apart: every node reaches every other only through a delaying proxy adding %s in each direction (RTT %s between any two nodes); the client runs next to node A with no delay to it. One aws-sdk-go-v2 client, requests one after the other, %d per figure, after a short unmeasured warm-up; GETs read back the objects just PUT.\n", fmtMs(rtt), fmtMs(r.OneWay), fmtMs(rtt), r.Ops)
	if r.Idle > 0 {
		fmt.Fprintf(&b, "- \"%s\": GETs each after %v without any request (a client that comes back now and then).\n", OpIdleGET, r.Idle)
	}
	fmt.Fprintf(&b, "- \"delays off\" is the same running cluster with the proxies' delays set to 0: what CPU, disks and loopback cost alone. \"RTTs added\" = (p50 − p50 with delays off) / RTT: how many round trips between sites the request waits for.\n")
	for _, t := range r.Targets {
		status := ""
		if t.Error != "" {
			status = " — **failed**: " + short(t.Error)
		}
		fmt.Fprintf(&b, "- %s: %s%s\n", t.Name, t.Setup, status)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	b.WriteString("\n")
	if len(r.Targets) > 0 {
		if gs := r.Goals(r.Targets[0].Name); len(gs) > 0 {
			fmt.Fprintf(&b, "#### Targets of issue 8 (%s, RTT %s)\n\n", r.Targets[0].Name, fmtMs(rtt))
			row(&b, "figure", "want", "got", "met")
			sep(&b, 4)
			for _, g := range gs {
				row(&b, g.Name, g.Want, g.Got, g.Met)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "#### Latency (RTT %s between nodes)\n\n", fmtMs(rtt))
	row(&b, "target", "figure", "ops", "errors", "p50", "p90", "p50 in RTT", "p90 in RTT", "p50 delays off", "RTTs added (p50)", "note")
	sep(&b, 11)
	for _, t := range r.Targets {
		for _, size := range r.sizes() {
			for _, op := range []string{"PUT", "GET", OpIdleGET} {
				f, ok := r.figure(t.Name, r.OneWay, op, size)
				if !ok {
					if f2, any := r.anyFigure(t.Name, r.OneWay, op, size); any {
						row(&b, t.Name, f2.Name(), "0", fmt.Sprint(f2.Errors), "", "", "", "", "", "", short(f2.FirstError))
					}
					continue
				}
				off, added := "", ""
				if base, ok := r.figure(t.Name, 0, op, size); ok {
					off = fmtMs(base.P50)
					added = fmtRTT(f.P50-base.P50, rtt)
				}
				row(&b, t.Name, f.Name(), fmt.Sprint(f.Ops), fmt.Sprint(f.Errors), fmtMs(f.P50), fmtMs(f.P90), fmtRTT(f.P50, rtt), fmtRTT(f.P90, rtt), off, added, short(f.FirstError))
			}
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// anyFigure finds a figure even without successful operations.
func (r *ClusterReport) anyFigure(target string, oneWay time.Duration, op string, size int64) (LatencyFigure, bool) {
	for _, f := range r.Figures {
		if f.Target == target && f.OneWay == oneWay && f.Op == op && f.Size == size {
			return f, true
		}
	}
	return LatencyFigure{}, false
}

// Problems lists what went wrong (for -strict).
func (r *ClusterReport) Problems() []string {
	var p []string
	for _, t := range r.Targets {
		if t.Error != "" {
			p = append(p, t.Name+": "+t.Error)
		}
	}
	for _, f := range r.Figures {
		if f.Errors > 0 {
			p = append(p, fmt.Sprintf("%s %s (one-way %v): %d errors, first: %s", f.Target, f.Name(), f.OneWay, f.Errors, f.FirstError))
		}
	}
	return p
}
