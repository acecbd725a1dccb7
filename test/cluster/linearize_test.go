package cluster

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// regInput is one client operation on one key: a PUT (Write) of Value, or a
// GET.
type regInput struct {
	Key   string
	Write bool
	Value string
}

// regOutput is what a GET returned ("" = 404, the register's initial
// value). Writes have no output.
type regOutput struct {
	Value string
}

// registerModel is a read/write register per key (porcupine partitions the
// history by key). A write whose outcome is unknown (time-out, 5xx, lost
// connection) is recorded with Return = +inf: it may take effect at any
// point after its call, or never be observed.
var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(regInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		in := input.(regInput)
		if in.Write {
			return true, in.Value
		}
		return output.(regOutput).Value == state.(string), state
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(regInput)
		if in.Write {
			return fmt.Sprintf("put(%s, %q)", in.Key, in.Value)
		}
		v := output.(regOutput).Value
		if v == "" {
			v = "404"
		}
		return fmt.Sprintf("get(%s) -> %q", in.Key, v)
	},
	DescribeState: func(state interface{}) string {
		if s := state.(string); s != "" {
			return s
		}
		return "(none)"
	},
}

// history records client operations and faults with times relative to its
// start. Safe for concurrent use.
type history struct {
	start time.Time

	mu      sync.Mutex
	ops     []porcupine.Operation
	unknown int // writes with unknown outcome
	dropped int // failed reads (they constrain nothing)
	faults  []porcupine.Annotation
}

func newHistory() *history { return &history{start: time.Now()} }

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// load runs clients goroutines, each calling op with its number, its
// operation count and its own random source, until the returned stop is
// called (it waits for them; later calls do nothing) or ctx is done. The
// test's cleanup stops them too.
func (h *history) load(ctx context.Context, t *testing.T, clients int, op func(cl, i int, rng *rand.Rand)) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for cl := 0; cl < clients; cl++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cl), uint64(time.Now().UnixNano())))
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				case <-ctx.Done():
					return
				default:
				}
				op(cl, i, rng)
			}
		}()
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// waitOps waits until n more operations than now are recorded: test phases
// wait for completed operations, not for a time.
func (h *history) waitOps(ctx context.Context, t *testing.T, n int, what string) {
	t.Helper()
	h.mu.Lock()
	base := len(h.ops)
	h.mu.Unlock()
	must(t, waitFor(ctx, what, func(context.Context) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.ops) < base+n {
			return fmt.Errorf("%d ops", len(h.ops)-base)
		}
		return nil
	}))
}

// write records a PUT called at call; ok = 200 seen.
func (h *history) write(client int, key, value string, call int64, ok bool) {
	ret := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok {
		ret = math.MaxInt64
		h.unknown++
	}
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: regInput{Key: key, Write: true, Value: value},
		Call: call, Output: regOutput{}, Return: ret})
}

// read records a GET; ok=false drops it (an error is no observation).
func (h *history) read(client int, key, got string, call int64, ok bool) {
	ret := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok {
		h.dropped++
		return
	}
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: regInput{Key: key},
		Call: call, Output: regOutput{Value: got}, Return: ret})
}

// fault records something the test did to the cluster between start and
// end (both from h.now()).
func (h *history) fault(desc string, start, end int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, porcupine.Annotation{Tag: "fault", Start: start, End: end, Description: desc})
}

// summary is what the test prints about the checked history.
func (h *history) summary() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := map[string]bool{}
	writes, reads := 0, 0
	for _, op := range h.ops {
		in := op.Input.(regInput)
		keys[in.Key] = true
		if in.Write {
			writes++
		} else {
			reads++
		}
	}
	var fs []string
	for _, f := range h.faults {
		fs = append(fs, fmt.Sprintf("%s at %.1fs-%.1fs", f.Description,
			time.Duration(f.Start).Seconds(), time.Duration(f.End).Seconds()))
	}
	return fmt.Sprintf("%d ops (%d writes of which %d unknown outcome, %d reads; %d failed reads dropped) on %d keys; faults: [%s]",
		len(h.ops), writes, h.unknown, reads, h.dropped, len(keys), strings.Join(fs, "; "))
}

// artifactDir is where failure artifacts go: GARAGE_WEB_CLUSTER_ARTIFACTS or
// a fresh directory under $TMPDIR that outlives the test (t.TempDir would be
// deleted with the test).
func artifactDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("GARAGE_WEB_CLUSTER_ARTIFACTS"); d != "" {
		must(t, os.MkdirAll(d, 0o755))
		return d
	}
	d, err := os.MkdirTemp("", "garage-web-cluster-artifacts-")
	must(t, err)
	return d
}

// checkHistory runs porcupine on h and returns the result; on a violation it
// writes the visualisation and returns its path.
func checkHistory(t testing.TB, h *history, timeout time.Duration, dir string) (porcupine.CheckResult, string) {
	t.Helper()
	h.mu.Lock()
	ops := append([]porcupine.Operation(nil), h.ops...)
	faults := append([]porcupine.Annotation(nil), h.faults...)
	h.mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(registerModel, ops, timeout)
	if res != porcupine.Illegal {
		return res, ""
	}
	info.AddAnnotations(faults)
	if dir == "" {
		dir = artifactDir(t)
	}
	path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-porcupine.html")
	if err := porcupine.VisualizePath(registerModel, info, path); err != nil {
		t.Errorf("writing the porcupine visualisation: %v", err)
		return res, ""
	}
	return res, path
}

// requireLinearizable logs the history summary and fails on a violation or
// a checker time-out.
func requireLinearizable(t testing.TB, h *history, timeout time.Duration) {
	t.Helper()
	t.Logf("linearizability check: %s", h.summary())
	res, vis := checkHistory(t, h, timeout, "")
	switch res {
	case porcupine.Ok:
		t.Logf("porcupine: linearizable")
	case porcupine.Illegal:
		t.Fatalf("porcupine: NOT linearizable; visualisation: %s", vis)
	default:
		t.Fatalf("porcupine: no answer within %v (history too large?)", timeout)
	}
}

// TestCheckerSyntheticHistories runs the register model on hand-made
// histories whose answer is known.
func TestCheckerSyntheticHistories(t *testing.T) {
	t.Parallel()
	type op struct {
		client    int
		key       string
		write     bool
		value     string
		call, ret int64 // ret < 0: unknown outcome (write) / failed (read)
	}
	build := func(ops []op) *history {
		h := newHistory()
		for _, o := range ops {
			if o.write {
				ret := o.ret
				if ret < 0 {
					ret = math.MaxInt64
					h.unknown++
				}
				h.ops = append(h.ops, porcupine.Operation{ClientId: o.client, Input: regInput{Key: o.key, Write: true, Value: o.value},
					Call: o.call, Output: regOutput{}, Return: ret})
				continue
			}
			h.ops = append(h.ops, porcupine.Operation{ClientId: o.client, Input: regInput{Key: o.key},
				Call: o.call, Output: regOutput{Value: o.value}, Return: o.ret})
		}
		return h
	}
	cases := []struct {
		name string
		ops  []op
		want porcupine.CheckResult
	}{
		{"read your write", []op{
			{0, "k", true, "a", 0, 10},
			{1, "k", false, "a", 20, 30},
		}, porcupine.Ok},
		{"404 before any write", []op{
			{1, "k", false, "", 0, 5},
			{0, "k", true, "a", 10, 20},
			{1, "k", false, "a", 30, 40},
		}, porcupine.Ok},
		{"stale read after an acknowledged write", []op{
			{0, "k", true, "a", 0, 10},
			{1, "k", false, "", 20, 30},
		}, porcupine.Illegal},
		{"concurrent write may or may not be seen", []op{
			{0, "k", true, "a", 0, 100},
			{1, "k", false, "", 10, 20},
			{2, "k", false, "a", 30, 40},
		}, porcupine.Ok},
		{"value comes back after being overwritten", []op{
			{0, "k", true, "a", 0, 10},
			{0, "k", true, "b", 20, 30},
			{1, "k", false, "a", 40, 50},
		}, porcupine.Illegal},
		{"timed-out write seen later", []op{
			{0, "k", true, "a", 0, -1},
			{1, "k", false, "", 10, 20},
			{1, "k", false, "a", 30, 40},
		}, porcupine.Ok},
		{"timed-out write never seen", []op{
			{0, "k", true, "a", 0, -1},
			{1, "k", false, "", 10, 20},
			{1, "k", false, "", 30, 40},
		}, porcupine.Ok},
		{"timed-out write seen, then unseen", []op{
			{0, "k", true, "a", 0, -1},
			{1, "k", false, "a", 10, 20},
			{1, "k", false, "", 30, 40},
		}, porcupine.Illegal},
		{"keys are independent", []op{
			{0, "k1", true, "a", 0, 10},
			{0, "k2", true, "b", 0, 10},
			{1, "k1", false, "a", 20, 30},
			{1, "k2", false, "b", 20, 30},
			{2, "k3", false, "", 20, 30},
		}, porcupine.Ok},
		{"violation on one key of several", []op{
			{0, "k1", true, "a", 0, 10},
			{0, "k2", true, "b", 0, 10},
			{1, "k1", false, "a", 20, 30},
			{1, "k2", false, "", 20, 30},
		}, porcupine.Illegal},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		h := build(tc.ops)
		res, vis := checkHistory(t, h, 10*time.Second, dir)
		if res != tc.want {
			t.Errorf("%s: porcupine says %v, want %v", tc.name, res, tc.want)
			continue
		}
		if res == porcupine.Illegal {
			st, err := os.Stat(vis)
			if err != nil || st.Size() == 0 {
				t.Errorf("%s: no visualisation written (%v)", tc.name, err)
			}
		}
		t.Logf("%-45s %v (%s)", tc.name, res, h.summary())
	}
}

// TestHistoryRecorder checks the concurrent recorder: unknown writes get an
// infinite return, failed reads are dropped, faults are kept.
func TestHistoryRecorder(t *testing.T) {
	t.Parallel()
	h := newHistory()
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				call := h.now()
				v := fmt.Sprintf("c%d-%d", c, i)
				h.write(c, "k", v, call, i%10 != 0)
				call = h.now()
				h.read(c, "other", "", call, i%5 != 0)
			}
		}()
	}
	wg.Wait()
	h.fault("kill n1", 1, 2)
	if len(h.ops) != 8*50+8*40 || h.unknown != 8*5 || h.dropped != 8*10 {
		t.Fatalf("ops %d unknown %d dropped %d", len(h.ops), h.unknown, h.dropped)
	}
	for _, op := range h.ops {
		if op.Input.(regInput).Write && op.Return != math.MaxInt64 && op.Return < op.Call {
			t.Fatalf("return before call: %+v", op)
		}
	}
	requireLinearizable(t, h, 30*time.Second)
}
