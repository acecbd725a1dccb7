package bench

import (
	"slices"
	"time"
)

// Result is one measured figure: an operation of a scenario against a target.
type Result struct {
	Target   string `json:"target"`
	Scenario string `json:"scenario"` // e.g. "put-4KiB-c16"
	Op       string `json:"op"`       // PUT, GET, DELETE, LIST-page, ...
	Clients  int    `json:"clients,omitempty"`
	Size     int64  `json:"size,omitempty"` // object size in bytes

	Ops      int64         `json:"ops"`
	Errors   int64         `json:"errors"`
	Bytes    int64         `json:"bytes"`
	Duration time.Duration `json:"duration_ns"`

	OpsPerSec float64       `json:"ops_per_sec"`
	MiBPerSec float64       `json:"mib_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	P999      time.Duration `json:"p999_ns"`

	// PeakRSS is the highest summed VmRSS of the target's processes sampled
	// during the scenario, in bytes (0: not sampled).
	PeakRSS int64 `json:"peak_rss_bytes,omitempty"`
	// PeakAnon is the peak of RssAnon (heap and stacks, without mapped
	// files such as an mmapped database) over the same samples.
	PeakAnon int64 `json:"peak_rss_anon_bytes,omitempty"`
	// ServerCPU is the CPU time (user+system) the target's processes used
	// during the scenario (0: not known).
	ServerCPU time.Duration `json:"server_cpu_ns,omitempty"`

	// MetaBytes is the target's metadata size after the operation (churn
	// scenario; 0: not measured), MetaBefore the size before it (round 1)
	// and LiveObjects how many objects the operation left in place.
	MetaBytes   int64 `json:"meta_bytes,omitempty"`
	MetaBefore  int64 `json:"meta_before_bytes,omitempty"`
	LiveObjects int64 `json:"live_objects,omitempty"`

	// Unavailable says why the figure could not be measured ("" if it was).
	Unavailable string `json:"unavailable,omitempty"`
	// Note is free text shown next to the figure (e.g. "stopped at budget").
	Note string `json:"note,omitempty"`
}

// Key identifies a figure across targets: the same Key from two targets is
// the same workload.
func (r Result) Key() string { return r.Scenario + " " + r.Op }

// CPUPerOp is the server CPU per operation (0 if unknown).
func (r Result) CPUPerOp() time.Duration {
	if r.Ops == 0 || r.ServerCPU == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Ops)
}

// Recorder collects the latencies of one worker. It is not safe for
// concurrent use: give each worker its own and Merge them.
type Recorder struct {
	lat    []time.Duration
	errors int64
	bytes  int64
	first  error
}

// Observe records one operation.
func (r *Recorder) Observe(d time.Duration, bytes int64, err error) {
	if err != nil {
		r.errors++
		if r.first == nil {
			r.first = err
		}
		return
	}
	r.lat = append(r.lat, d)
	r.bytes += bytes
}

// Merge folds others into r.
func (r *Recorder) Merge(others ...*Recorder) {
	for _, o := range others {
		r.lat = append(r.lat, o.lat...)
		r.errors += o.errors
		r.bytes += o.bytes
		if r.first == nil {
			r.first = o.first
		}
	}
}

// FirstError is the first error observed, if any.
func (r *Recorder) FirstError() error { return r.first }

// Fill sets the counters, rates and percentiles of res from r over the
// wall-clock time elapsed.
func (r *Recorder) Fill(res *Result, elapsed time.Duration) {
	res.Ops = int64(len(r.lat))
	res.Errors = r.errors
	res.Bytes = r.bytes
	res.Duration = elapsed
	if elapsed > 0 {
		s := elapsed.Seconds()
		res.OpsPerSec = float64(res.Ops) / s
		res.MiBPerSec = float64(res.Bytes) / (1 << 20) / s
	}
	slices.Sort(r.lat)
	res.P50 = percentile(r.lat, 0.50)
	res.P99 = percentile(r.lat, 0.99)
	res.P999 = percentile(r.lat, 0.999)
}

// percentile of sorted values, nearest-rank; 0 for none.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
