// Command s3bench runs one load against an S3 endpoint that is already
// running, and prints the figures as a Markdown table (and JSON).
//
//	s3bench -endpoint http://127.0.0.1:3900 -access-key GK... -secret-key ... \
//	    -scenario putget -size 4KiB -concurrency 16 -duration 10s -pid 1234
//
// Scenarios: putget (PUT then GET), get (GET only, of the objects an
// earlier putget of the same -size and -concurrency wrote), mixed (70/30 GET/PUT over objects it
// writes first), delete (PUT then DELETE), multipart (upload+download one
// object of -size), scale (-count objects in steps of -step, with LIST page
// latency after each step), list (LIST of a prefix written by scale).
// Several endpoints (comma-separated) are used round-robin; the RSS and CPU
// of every -pid are summed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/garage-web/garage-web/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		endpoints = flag.String("endpoint", "http://127.0.0.1:3900", "S3 endpoint URL(s), comma-separated")
		access    = flag.String("access-key", os.Getenv("AWS_ACCESS_KEY_ID"), "access key id")
		secret    = flag.String("secret-key", os.Getenv("AWS_SECRET_ACCESS_KEY"), "secret access key")
		region    = flag.String("region", "garage", "S3 region")
		name      = flag.String("name", "target", "target name in the report")
		pids      = flag.String("pid", "", "server pid(s) to sample RSS and CPU of, comma-separated")
		bucket    = flag.String("bucket", "bench", "bucket (created if missing)")
		scenario  = flag.String("scenario", "putget", "putget, get, mixed, delete, multipart, scale or list")
		conc      = flag.Int("concurrency", 16, "concurrent clients")
		sizeStr   = flag.String("size", "4KiB", "object size (B, KiB, MiB, GiB suffixes)")
		count     = flag.Int64("count", 0, "operations per phase (0: bounded by -duration only); objects for scale")
		step      = flag.Int64("step", 100_000, "scale: keys per prefix scale/NNN/ (list reads scale/000/)")
		every     = flag.Int64("every", 0, "scale: figures every this many objects (default -step)")
		duration  = flag.Duration("duration", 10*time.Second, "duration of each phase (0: bounded by -count only)")
		partStr   = flag.String("part-size", "16MiB", "multipart: part size")
		signPay   = flag.Bool("sign-payload", false, "hash bodies for SigV4 instead of UNSIGNED-PAYLOAD")
		timeout   = flag.Duration("timeout", 30*time.Minute, "deadline of the whole run")
		jsonOut   = flag.String("json", "", "also write the results as JSON to this file")
	)
	flag.Parse()
	size, err := parseSize(*sizeStr)
	if err != nil {
		return err
	}
	part, err := parseSize(*partStr)
	if err != nil {
		return err
	}
	if *count == 0 && *duration == 0 {
		return fmt.Errorf("set -count or -duration")
	}
	t := &bench.Target{Name: *name, Endpoints: strings.Split(*endpoints, ","), Region: *region, AccessKey: *access, SecretKey: *secret}
	if *pids != "" {
		for _, p := range strings.Split(*pids, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return fmt.Errorf("-pid: %w", err)
			}
			t.PIDs = append(t.PIDs, n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	sampler := bench.NewSampler(t.PIDs, 100*time.Millisecond)
	defer sampler.Close()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	env := &bench.Env{Target: t, Clients: bench.NewClients(t, bench.ClientOptions{MaxConns: *conc, SignPayload: *signPay}), Bucket: *bucket, Sampler: sampler, Logf: logf}
	pl := bench.NewPayload(1)
	l := bench.Load{Clients: *conc, Count: *count, Duration: *duration}
	pg := bench.PutGet{Size: size, Put: l, Get: l, Payload: pl}
	var scs []bench.Scenario
	switch *scenario {
	case "putget":
		scs = []bench.Scenario{pg}
	case "get":
		scs = []bench.Scenario{bench.Get{Pool: pg.Name(), Prefix: "obj/" + pg.Name() + "/", Load: l}}
	case "mixed":
		scs = []bench.Scenario{pg, bench.Mixed{Pool: pg.Name(), Size: size, ReadFraction: 0.7, Load: l, Payload: pl}}
	case "delete":
		scs = []bench.Scenario{pg, bench.Delete{Pool: pg.Name(), Load: l}}
	case "multipart":
		scs = []bench.Scenario{bench.Multipart{Size: size, PartSize: part, Concurrency: *conc, Payload: pl}}
	case "scale":
		total := *count
		if total == 0 {
			total = 1_000_000
		}
		scs = []bench.Scenario{bench.Scale{Bucket: *bucket, Total: total, Step: min(*step, total), Every: *every, Size: size, Clients: *conc,
			MaxTime: *timeout, ListReps: 10, Payload: pl}}
	case "list":
		scs = []bench.Scenario{bench.List{Bucket: *bucket, Prefix: bench.StepPrefix(0), ExpectKeys: *step, Reps: 20}}
	default:
		return fmt.Errorf("unknown -scenario %q", *scenario)
	}
	if err := bench.EnsureBucket(ctx, env, *bucket); err != nil {
		return err
	}
	r := &bench.Report{Profile: "s3bench " + *scenario, Primary: *name, SkipGoals: true, Machine: bench.DescribeMachine(".", strings.Join(os.Args, " "))}
	r.Targets = []bench.TargetInfo{{Name: *name, IdleRSS: sampler.RSS()}}
	start := time.Now()
	for _, sc := range scs {
		rs, err := sc.Run(ctx, env)
		if err != nil {
			return err
		}
		r.Results = append(r.Results, rs...)
	}
	r.Targets[0].HWM = sampler.HWM()
	r.Elapsed = time.Since(start).Round(time.Second).String()
	if err := r.Markdown(os.Stdout); err != nil {
		return err
	}
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return err
		}
		defer f.Close()
		return r.JSON(f)
	}
	return nil
}

// parseSize parses "4KiB", "1MiB", "1GiB", "512B" or a plain byte count.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if v, ok := strings.CutSuffix(s, u.suf); ok {
			s, mult = v, u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}
