package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Machine describes where a report was measured.
type Machine struct {
	Nproc     int    `json:"nproc"`
	Memory    string `json:"memory"` // `free -h` total
	Disk      string `json:"disk"`   // filesystem of the work dir
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	Date      string `json:"date"`
	Command   string `json:"command"`
	Load      string `json:"load,omitempty"`   // /proc/loadavg at start
	Source    string `json:"source,omitempty"` // git commit of the tree measured
}

// TargetInfo is per-target information of a run.
type TargetInfo struct {
	Name     string `json:"name"`
	IdleRSS  int64  `json:"idle_rss_bytes,omitempty"`
	IdleAnon int64  `json:"idle_rss_anon_bytes,omitempty"`
	HWM      int64  `json:"vm_hwm_bytes,omitempty"` // lifetime peak at the end of the run
	Error    string `json:"error,omitempty"`
}

// NotRun is a target left out of a run, and why.
type NotRun struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Report is the outcome of a suite run.
type Report struct {
	Profile    string       `json:"profile"`
	Primary    string       `json:"primary"` // the target the ratios are about
	Machine    Machine      `json:"machine"`
	Notes      []string     `json:"notes,omitempty"`
	Targets    []TargetInfo `json:"targets"`
	References []Reference  `json:"references"`
	Results    []Result     `json:"results"`
	Elapsed    string       `json:"elapsed"`
	// NotRun lists targets left out of the run, with why.
	NotRun []NotRun `json:"not_run,omitempty"`
	// SkipGoals leaves the issue-5 goal table out of the Markdown.
	SkipGoals bool `json:"-"`
}

// JSON writes the report as indented JSON.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// find returns target's result for figure key.
func (r *Report) find(target, key string) (Result, bool) {
	for _, x := range r.Results {
		if x.Target == target && x.Key() == key {
			return x, true
		}
	}
	return Result{}, false
}

// ref returns the named reference.
func (r *Report) ref(name string) (Reference, bool) {
	for _, x := range r.References {
		if x.Name == name && x.Error == "" {
			return x, true
		}
	}
	return Reference{}, false
}

// targetNames lists the targets with results: primary, MinIO, then the
// others in the order they ran.
func (r *Report) targetNames() []string {
	names := []string{r.Primary}
	for _, x := range r.Results {
		if x.Target == MinioName && !slices.Contains(names, x.Target) {
			names = append(names, x.Target)
		}
	}
	for _, x := range r.Results {
		if !slices.Contains(names, x.Target) {
			names = append(names, x.Target)
		}
	}
	return names
}

// figureKeys lists the figures in the order the primary target ran them,
// then those only other targets have.
func (r *Report) figureKeys() []string {
	var keys []string
	for _, primary := range []bool{true, false} {
		for _, x := range r.Results {
			if (x.Target == r.Primary) == primary && !slices.Contains(keys, x.Key()) {
				keys = append(keys, x.Key())
			}
		}
	}
	return keys
}

// Markdown writes the report as Markdown tables.
func (r *Report) Markdown(w io.Writer) error {
	b := &strings.Builder{}
	m := r.Machine
	fmt.Fprintf(b, "Profile **%s**, %s, %d CPUs, %s RAM, disk %s, kernel %s, %s; ran in %s.\n\n",
		r.Profile, m.Date, m.Nproc, m.Memory, m.Disk, m.Kernel, m.GoVersion, r.Elapsed)
	if m.Load != "" {
		fmt.Fprintf(b, "Load average at start: %s.\n\n", m.Load)
	}
	fmt.Fprintf(b, "Command: `%s`", m.Command)
	if m.Source != "" {
		fmt.Fprintf(b, " on %s", m.Source)
	}
	b.WriteString("\n\n")
	for _, n := range r.Notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	for _, n := range r.NotRun {
		fmt.Fprintf(b, "- %s not run: %s\n", n.Name, n.Reason)
	}
	if len(r.Notes)+len(r.NotRun) > 0 {
		b.WriteString("\n")
	}
	if !r.SkipGoals {
		r.goals12Table(b)
		r.goalsTable(b)
	}
	r.summaryTable(b)
	r.referenceTable(b)
	r.memoryTable(b)
	r.scenarioMemoryTable(b)
	r.churnTable(b)
	r.detailTables(b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) summaryTable(b *strings.Builder) {
	names := r.targetNames()
	b.WriteString("### Figures side by side\n\n")
	b.WriteString("ops/s is operations per second (LIST all: keys per second; LIST page: sequential pages per second); ")
	fmt.Fprintf(b, "ratios are %s / other on ops/s (higher is better for %s).\n\n", r.Primary, r.Primary)
	head := []string{"figure", r.Primary + " ops/s", "MiB/s", "p50", "p99"}
	for _, n := range names[1:] {
		head = append(head, n+" ops/s", "p99", "ratio")
	}
	row(b, head...)
	sep(b, len(head))
	for _, key := range r.figureKeys() {
		cells := []string{key}
		p, ok := r.find(r.Primary, key)
		if ok && p.Unavailable == "" {
			cells = append(cells, fmtRate(p.OpsPerSec), fmtMiB(p.MiBPerSec), fmtDur(p.P50), fmtDur(p.P99))
		} else if ok {
			cells = append(cells, "unavailable: "+short(p.Unavailable), "", "", "")
		} else {
			cells = append(cells, "", "", "", "")
		}
		for _, n := range names[1:] {
			o, ok := r.find(n, key)
			switch {
			case !ok:
				cells = append(cells, "", "", "")
			case o.Unavailable != "":
				cells = append(cells, "unavailable", "", "")
			default:
				ratio := ""
				if p.Unavailable == "" && p.OpsPerSec > 0 && o.OpsPerSec > 0 {
					ratio = fmt.Sprintf("%.2fx", p.OpsPerSec/o.OpsPerSec)
				}
				cells = append(cells, fmtRate(o.OpsPerSec), fmtDur(o.P99), ratio)
			}
		}
		row(b, cells...)
	}
	b.WriteString("\n")
}

// refLinks relate S3 figures to the physical references they are bounded by.
var refLinks = []struct{ ref, op string }{
	{RefDiskWrite, "upload"},
	{RefDiskWriteBlock, "upload"},
	{RefLoopback, "upload"},
	{RefDiskRead, "download"},
	{RefLoopback, "download"},
}

func (r *Report) referenceTable(b *strings.Builder) {
	if len(r.References) == 0 {
		return
	}
	b.WriteString("### Physical references (same run, same disk)\n\n")
	row(b, "reference", "MiB/s", "note")
	sep(b, 3)
	for _, ref := range r.References {
		if ref.Error != "" {
			row(b, ref.Name, "error", short(ref.Error))
			continue
		}
		row(b, ref.Name, fmtMiB(ref.MiBPerSec), ref.Note)
	}
	b.WriteString("\n")
	// Only targets that have one of the linked figures get columns.
	var names []string
	for _, n := range r.targetNames() {
		for _, x := range r.Results {
			if x.Target == n && x.Unavailable == "" && slices.ContainsFunc(refLinks, func(l struct{ ref, op string }) bool {
				return strings.HasSuffix(x.Key(), " "+l.op)
			}) {
				names = append(names, n)
				break
			}
		}
	}
	head := []string{"figure", "reference"}
	for _, n := range names {
		head = append(head, n+" MiB/s", "fraction")
	}
	var rows [][]string
	for _, key := range r.figureKeys() {
		for _, l := range refLinks {
			if !strings.HasSuffix(key, " "+l.op) {
				continue
			}
			ref, ok := r.ref(l.ref)
			if !ok {
				continue
			}
			cells := []string{key, l.ref}
			any := false
			for _, n := range names {
				x, ok := r.find(n, key)
				if !ok || x.Unavailable != "" {
					cells = append(cells, "", "")
					continue
				}
				any = true
				cells = append(cells, fmtMiB(x.MiBPerSec), fmt.Sprintf("%.0f%%", 100*x.MiBPerSec/ref.MiBPerSec))
			}
			if any {
				rows = append(rows, cells)
			}
		}
	}
	if len(rows) > 0 {
		row(b, head...)
		sep(b, len(head))
		for _, c := range rows {
			row(b, c...)
		}
		b.WriteString("\n")
	}
}

func (r *Report) memoryTable(b *strings.Builder) {
	b.WriteString("### Memory (server process RSS)\n\n")
	b.WriteString("RSS counts mapped file pages too (e.g. an mmapped metadata database); anon is RssAnon, heap and stacks only.\n\n")
	row(b, "target", "idle RSS", "idle anon", "peak RSS, 4 KiB at 64 clients", "peak anon", "VmHWM at end (whole run)", "peak anon (whole run)", "note")
	sep(b, 8)
	for _, t := range r.Targets {
		var peak, peakAnon, runAnon int64
		for _, op := range []string{"PUT", "GET"} {
			if x, ok := r.find(t.Name, "4KiB-c64 "+op); ok {
				peak, peakAnon = max(peak, x.PeakRSS), max(peakAnon, x.PeakAnon)
			}
		}
		for _, x := range r.Results {
			if x.Target == t.Name {
				runAnon = max(runAnon, x.PeakAnon)
			}
		}
		row(b, t.Name, fmtBytes(t.IdleRSS), fmtBytes(t.IdleAnon), fmtBytes(peak), fmtBytes(peakAnon), fmtBytes(t.HWM), fmtBytes(runAnon), short(t.Error))
	}
	b.WriteString("\n")
}

func (r *Report) detailTables(b *strings.Builder) {
	b.WriteString("### Details\n\n")
	row(b, "target", "figure", "clients", "ops", "errors", "ops/s", "MiB/s", "p50", "p99", "p99.9", "peak RSS", "server CPU/op", "note")
	sep(b, 13)
	for _, x := range r.Results {
		if x.Unavailable != "" {
			row(b, x.Target, x.Key(), fmt.Sprint(x.Clients), "", "", "", "", "", "", "", "", "", "unavailable: "+short(x.Unavailable))
			continue
		}
		row(b, x.Target, x.Key(), fmt.Sprint(x.Clients), fmt.Sprint(x.Ops), fmt.Sprint(x.Errors), fmtRate(x.OpsPerSec), fmtMiB(x.MiBPerSec),
			fmtDur(x.P50), fmtDur(x.P99), fmtDur(x.P999), fmtBytes(x.PeakRSS), fmtDur(x.CPUPerOp()), short(x.Note))
	}
	b.WriteString("\n")
}

func row(b *strings.Builder, cells ...string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

func sep(b *strings.Builder, n int) {
	b.WriteString("|" + strings.Repeat(" --- |", n) + "\n")
}

// short makes text fit a table cell.
func short(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "|", "/")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func fmtRate(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtMiB(v float64) string {
	if v == 0 {
		return ""
	}
	return fmtRate(v)
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func fmtBytes(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// Problems lists what makes the report unusable as a check that the tool
// and the targets work: targets that did not start, S3 figures that could
// not be measured or saw errors. Web figures are left out (they depend on
// wrk being installed).
func (r *Report) Problems() []string {
	var p []string
	for _, t := range r.Targets {
		if t.Error != "" {
			p = append(p, t.Name+": "+short(t.Error))
		}
	}
	for _, x := range r.Results {
		if strings.HasPrefix(x.Scenario, "web-") {
			continue
		}
		switch {
		case x.Unavailable != "":
			p = append(p, x.Target+" "+x.Key()+": "+short(x.Unavailable))
		case x.Errors > 0:
			p = append(p, fmt.Sprintf("%s %s: %d errors (%s)", x.Target, x.Key(), x.Errors, short(x.Note)))
		}
	}
	return p
}
