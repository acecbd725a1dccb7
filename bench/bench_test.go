package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i))
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}} {
		if got := percentile(d, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %v", got)
	}
}

func TestPayloadUniqueAndStable(t *testing.T) {
	p := NewPayload(1)
	a := make([]byte, 1<<20)
	b := make([]byte, 1<<20)
	p.Fill(a, 1, 0)
	p.Fill(b, 2, 0)
	if bytes.Equal(a, b) {
		t.Fatal("two streams have the same bytes")
	}
	// Every 4 KiB chunk of one stream differs from the others.
	seen := map[string]bool{}
	for off := 0; off < len(a); off += stampEvery {
		k := string(a[off : off+stampEvery])
		if seen[k] {
			t.Fatalf("chunk at %d repeats", off)
		}
		seen[k] = true
	}
	// Reading in odd pieces gives the same bytes as one Fill.
	r := p.Reader(1, int64(len(a)))
	var got bytes.Buffer
	buf := make([]byte, 7777)
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got.Bytes(), a) {
		t.Fatal("Reader and Fill disagree")
	}
	c := make([]byte, 5000)
	if n, _ := r.ReadAt(c, 123456); n != len(c) || !bytes.Equal(c, a[123456:123456+5000]) {
		t.Fatal("ReadAt and Fill disagree")
	}
}

const wrkOutput = `Running 1s test @ http://127.0.0.1:8080/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms  456.00us   9.87ms   90.00%
    Req/Sec     1.50k   100.00     1.70k    70.00%
  Latency Distribution
     50%    1.10ms
     75%    1.30ms
     90%    1.60ms
     99%    3.20ms
  3000 requests in 1.00s, 12.50MB read
  Non-2xx or 3xx responses: 10
Requests/sec:   2999.50
Transfer/sec:     12.48MB
`

func TestParseWrk(t *testing.T) {
	var r Result
	if err := parseWrk([]byte(wrkOutput), &r); err != nil {
		t.Fatal(err)
	}
	if r.Ops != 3000 || r.OpsPerSec != 2999.5 || r.P50 != 1100*time.Microsecond || r.P99 != 3200*time.Microsecond ||
		r.Duration != time.Second || r.Errors != 10 || r.Bytes != int64(12.5*(1<<20)) {
		t.Fatalf("parsed %+v", r)
	}
	if r.MiBPerSec < 12.47 || r.MiBPerSec > 12.49 {
		t.Fatalf("MiB/s = %v", r.MiBPerSec)
	}
}

func TestReadProcSelf(t *testing.T) {
	s := NewSampler([]int{1 << 30}, time.Millisecond) // no such process: zeros, no panic
	defer s.Close()
	if s.RSS() != 0 || s.CPU() != 0 {
		t.Fatal("missing process should read as 0")
	}
}

// TestSuiteAgainstCeiling runs the smoke profile's S3 scenarios against the
// in-process ceiling server: it checks that the tool works end to end and
// writes both outputs, never how fast anything is.
func TestSuiteAgainstCeiling(t *testing.T) {
	p := SmokeProfile()
	p.Phase = 200 * time.Millisecond
	p.WebDuration = 0 // wrk may be missing on a developer machine
	p.RefSize = 4 << 20
	s := &Suite{Profile: p, Primary: CeilingName, Launchers: []Launcher{&Ceiling{}}, WorkDir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := s.Run(ctx, DescribeMachine(t.TempDir(), "go test"))
	if len(r.Targets) != 1 || r.Targets[0].Error != "" {
		t.Fatalf("targets: %+v", r.Targets)
	}
	want := []string{"4KiB-c1 PUT", "4KiB-c1 GET", "4KiB-c16 PUT", "4KiB-c16 GET", "delete-c16 DELETE", "1MiB-c4 GET"}
	for _, k := range want {
		x, ok := r.find(CeilingName, k)
		if !ok {
			t.Errorf("no figure %q", k)
			continue
		}
		if x.Unavailable != "" || x.Ops == 0 || x.Errors != 0 {
			t.Errorf("%s: %+v", k, x)
		}
	}
	if _, ok := r.find(CeilingName, "multipart-32MiB upload"); ok {
		t.Error("the ceiling has no multipart: the scenario should be skipped")
	}
	if len(r.References) != 4 {
		t.Errorf("references: %+v", r.References)
	}
	var md, js bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := r.JSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"### Figures side by side", "| 4KiB-c16 PUT |", "### Physical references"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	if !strings.Contains(js.String(), `"ops_per_sec"`) {
		t.Error("JSON lacks ops_per_sec")
	}
}
