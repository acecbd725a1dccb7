package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// LatencyRun is the latency scenario of a geo-distributed cluster (issue
// 8): one client, operations one after the other, so every figure is the
// time of one request and nothing queues. For each size it PUTs Ops
// objects, then GETs each of them back, and reports p50 and p90.
type LatencyRun struct {
	Ops       int // operations per figure
	Warmup    int // unmeasured PUT+GET pairs of each size first (connections, caches)
	Sizes     []int64
	Payload   *Payload
	OpTimeout time.Duration // one request (default 30 s)
	// IdleOps GETs of the smallest size, each after Idle without any
	// request: what a client that comes back now and then waits (caches
	// of keys and buckets last about a second). 0: not measured.
	IdleOps int
	Idle    time.Duration
}

// OpIdleGET is the Op of the figure of GETs after an idle pause.
const OpIdleGET = "GET after idle"

// LatencyFigure is one measured figure of a LatencyRun.
type LatencyFigure struct {
	Target string `json:"target"`
	// OneWay is the delay added in each direction between two nodes
	// (their round trip is 2×OneWay); 0 is the same cluster with the
	// delays off, the baseline of CPU, disk and loopback transfer.
	OneWay time.Duration `json:"one_way_ns"`
	Op     string        `json:"op"` // PUT or GET
	Size   int64         `json:"size"`
	Ops    int           `json:"ops"`
	Errors int           `json:"errors"`
	P50    time.Duration `json:"p50_ns"`
	P90    time.Duration `json:"p90_ns"`
	Max    time.Duration `json:"max_ns"`
	// FirstError is the first failed request's error ("" if none).
	FirstError string `json:"first_error,omitempty"`
}

// RTT is the round trip between two nodes of the figure's setup.
func (f LatencyFigure) RTT() time.Duration { return 2 * f.OneWay }

// Name is e.g. "1KiB PUT".
func (f LatencyFigure) Name() string { return SizeName(f.Size) + " " + f.Op }

// Run measures every size on env's first client, with keys under a prefix
// of its own (so that runs on one bucket do not read each other's keys).
// oneWay is recorded in the figures; the caller sets the delay.
func (l LatencyRun) Run(ctx context.Context, env *Env, oneWay time.Duration) ([]LatencyFigure, error) {
	if l.Ops <= 0 {
		l.Ops = 100
	}
	if l.OpTimeout <= 0 {
		l.OpTimeout = 30 * time.Second
	}
	c := env.Client(0)
	prefix := fmt.Sprintf("latency/%s/", oneWay)
	var out []LatencyFigure
	for si, size := range l.Sizes {
		body := make([]byte, size)
		key := func(kind string, i int) string { return fmt.Sprintf("%s%s-%s/%04d", prefix, SizeName(size), kind, i) }
		id := func(kind int, i int) uint64 {
			return uint64(oneWay.Milliseconds())<<40 | uint64(si)<<32 | uint64(kind)<<24 | uint64(i)
		}
		for i := range l.Warmup {
			l.Payload.Fill(body, id(0, i), 0)
			if err := l.put(ctx, c, env.Bucket, key("warm", i), body); err != nil {
				return out, fmt.Errorf("warm-up PUT of %s on %s: %w", SizeName(size), env.Target.Name, err)
			}
			if _, err := l.get(ctx, c, env.Bucket, key("warm", i)); err != nil {
				return out, fmt.Errorf("warm-up GET of %s on %s: %w", SizeName(size), env.Target.Name, err)
			}
		}
		put := LatencyFigure{Target: env.Target.Name, OneWay: oneWay, Op: "PUT", Size: size}
		var lat []time.Duration
		var written []string
		for i := range l.Ops {
			if ctx.Err() != nil {
				break
			}
			l.Payload.Fill(body, id(1, i), 0)
			k := key("obj", i)
			t0 := time.Now()
			err := l.put(ctx, c, env.Bucket, k, body)
			d := time.Since(t0)
			if err != nil {
				put.note(err)
				continue
			}
			lat = append(lat, d)
			written = append(written, k)
		}
		put.fill(lat)
		get := LatencyFigure{Target: env.Target.Name, OneWay: oneWay, Op: "GET", Size: size}
		lat = lat[:0]
		for _, k := range written {
			if ctx.Err() != nil {
				break
			}
			t0 := time.Now()
			n, err := l.get(ctx, c, env.Bucket, k)
			d := time.Since(t0)
			if err == nil && n != size {
				err = fmt.Errorf("GET %s: %d bytes, want %d", k, n, size)
			}
			if err != nil {
				get.note(err)
				continue
			}
			lat = append(lat, d)
		}
		get.fill(lat)
		env.logf("  %s one-way %v: %s p50 %s p90 %s; %s p50 %s p90 %s", env.Target.Name, oneWay, put.Name(), fmtDur(put.P50), fmtDur(put.P90), get.Name(), fmtDur(get.P50), fmtDur(get.P90))
		out = append(out, put, get)
		if si == 0 && l.IdleOps > 0 && oneWay > 0 { // with the delays only: it is the slow part
			out = append(out, l.idleGets(ctx, env, oneWay, size, written))
		}
	}
	return out, nil
}

// idleGets GETs keys one by one, each after l.Idle without requests.
func (l LatencyRun) idleGets(ctx context.Context, env *Env, oneWay time.Duration, size int64, keys []string) LatencyFigure {
	f := LatencyFigure{Target: env.Target.Name, OneWay: oneWay, Op: OpIdleGET, Size: size}
	var lat []time.Duration
	for i := 0; i < l.IdleOps && i < len(keys); i++ {
		select {
		case <-ctx.Done():
		case <-time.After(l.Idle):
		}
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		_, err := l.get(ctx, env.Client(0), env.Bucket, keys[i])
		d := time.Since(t0)
		if err != nil {
			f.note(err)
			continue
		}
		lat = append(lat, d)
	}
	f.fill(lat)
	env.logf("  %s one-way %v: %s %s (after %v idle) p50 %s p90 %s", env.Target.Name, oneWay, SizeName(size), f.Op, l.Idle, fmtDur(f.P50), fmtDur(f.P90))
	return f
}

func (f *LatencyFigure) note(err error) {
	f.Errors++
	if f.FirstError == "" {
		f.FirstError = err.Error()
	}
}

func (f *LatencyFigure) fill(lat []time.Duration) {
	slices.Sort(lat)
	f.Ops = len(lat)
	f.P50 = percentile(lat, 0.50)
	f.P90 = percentile(lat, 0.90)
	if len(lat) > 0 {
		f.Max = lat[len(lat)-1]
	}
}

func (l LatencyRun) put(ctx context.Context, c *s3.Client, bucket, key string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, l.OpTimeout)
	defer cancel()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	return err
}

func (l LatencyRun) get(ctx context.Context, c *s3.Client, bucket, key string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.OpTimeout)
	defer cancel()
	r, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	return io.Copy(io.Discard, r.Body)
}
