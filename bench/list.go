package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CountName is a short human count ("100k", "1M").
func CountName(n int64) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dM", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return fmt.Sprint(n)
}

// Scale fills one bucket with Total objects of Size bytes and, every Every
// objects, records the PUT rate of the last Every objects and the latency
// of a LIST page at the start of the bucket and after a random key, to
// show whether they stay flat as the bucket grows. Object i is named
// scale/NNN/MMMMMMM with NNN = i / Step, so each prefix scale/NNN/ holds
// Step keys (List measures one of them). The first Step objects are always
// written (within the context); after that, the fill stops when MaxTime is
// spent, and the last row says how far it got.
type Scale struct {
	Bucket   string // created if missing
	Total    int64
	Step     int64 // keys per prefix
	Every    int64 // measurement period (0: Step)
	Size     int64
	Clients  int
	MaxTime  time.Duration
	ListReps int
	Payload  *Payload
}

func (s Scale) Name() string { return fmt.Sprintf("scale-%s-c%d", SizeName(s.Size), s.Clients) }

// StepPrefix is the prefix of step i's keys.
func StepPrefix(i int) string { return fmt.Sprintf("scale/%03d/", i) }

// key names object i.
func (s Scale) key(i int64) string { return fmt.Sprintf("scale/%03d/%07d", i/s.Step, i%s.Step) }

func (s Scale) Run(ctx context.Context, env *Env) ([]Result, error) {
	name := s.Name()
	if s.Every <= 0 {
		s.Every = s.Step
	}
	if err := EnsureBucket(ctx, env, s.Bucket); err != nil {
		return nil, err
	}
	benv := env.WithBucket(s.Bucket)
	var results []Result
	start := time.Now()
	var have int64
	var sample []string // a few keys of every period, for seek pages
	for have < s.Total {
		n := min(s.Every, s.Total-have)
		l := Load{Clients: s.Clients, Count: n}
		if have >= s.Step {
			left := s.MaxTime - time.Since(start)
			if left <= 0 {
				break
			}
			l.Duration = left
		}
		put := benv.newResult(name, "PUT to "+CountName(have+n), s.Clients, s.Size)
		base := have
		keys, err := putObjects(ctx, benv, l, &put, func(i int64) string { return s.key(base + i) }, s.Size, s.Payload)
		if err != nil {
			return results, err
		}
		// Keys are claimed in order: the bucket holds [0, base+claimed).
		have += put.Ops + put.Errors
		results = append(results, put)
		if len(keys) == 0 {
			break
		}
		for range 16 {
			sample = append(sample, keys[rand.IntN(len(keys))])
		}
		// Figures keep their planned names, so targets line up in the report.
		at := CountName(base + n)
		if put.Ops+put.Errors < n {
			put.Note = joinNote(put.Note, fmt.Sprintf("cut at %d of %d objects (time budget): the bucket holds %d", put.Ops, n, have))
			results[len(results)-1] = put
		}
		first := benv.newResult(name, "LIST-page at "+at, 1, 0)
		listReps(ctx, benv, &first, s.ListReps, func() string { return "" }, "scale/")
		seek := benv.newResult(name, "LIST-seek at "+at, 1, 0)
		listReps(ctx, benv, &seek, s.ListReps, func() string { return sample[rand.IntN(len(sample))] }, "scale/")
		results = append(results, first, seek)
		env.logf("  scale: %d objects, %.0f PUT/s, list page p50 %v", have, put.OpsPerSec, first.P50)
		if put.Ops+put.Errors < n || ctx.Err() != nil {
			break
		}
	}
	if have < s.Total && len(results) > 0 {
		results[len(results)-1].Note = joinNote(results[len(results)-1].Note,
			fmt.Sprintf("reached %d of %d objects within the budget", have, s.Total))
	}
	return results, nil
}

// listReps measures reps sequential one-page listings (1000 keys) of
// prefix, each starting after startAfter().
func listReps(ctx context.Context, env *Env, res *Result, reps int, startAfter func() string, prefix string) {
	if reps <= 0 {
		reps = 5
	}
	Load{Clients: 1, Count: int64(reps)}.run(ctx, env, res, func(ctx context.Context, w int, i int64) (int64, error) {
		in := &s3.ListObjectsV2Input{Bucket: &env.Bucket, Prefix: &prefix, MaxKeys: aws.Int32(1000)}
		sa := startAfter()
		if sa != "" {
			in.StartAfter = &sa
		}
		out, err := env.Client(w).ListObjectsV2(ctx, in)
		if err != nil {
			return 0, err
		}
		if len(out.Contents) == 0 && sa == "" {
			return 0, errors.New("empty first page")
		}
		return 0, nil
	})
}

// List measures LIST of a prefix holding many keys: the latency of the
// first page (Reps times) and the time to list all of it page by page.
type List struct {
	Bucket     string
	Prefix     string
	ExpectKeys int64
	Reps       int
}

func (s List) Name() string { return "list-" + CountName(s.ExpectKeys) }

func (s List) Run(ctx context.Context, env *Env) ([]Result, error) {
	benv := env.WithBucket(s.Bucket)
	first := benv.newResult(s.Name(), "LIST first page", 1, 0)
	full := benv.newResult(s.Name(), "LIST all (keys/s)", 1, 0)
	if !env.Target.Has(FeatureList) {
		first.Unavailable, full.Unavailable = "target has no listing", "target has no listing"
		return []Result{first, full}, nil
	}
	listReps(ctx, benv, &first, s.Reps, func() string { return "" }, s.Prefix)

	end := benv.Sampler.Window()
	t0 := time.Now()
	var keys, pages int64
	var token *string
	var err error
	for ctx.Err() == nil {
		var out *s3.ListObjectsV2Output
		out, err = benv.Client(0).ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &benv.Bucket, Prefix: &s.Prefix, ContinuationToken: token, MaxKeys: aws.Int32(1000),
		})
		if err != nil {
			break
		}
		pages++
		keys += int64(len(out.Contents))
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			break
		}
		token = out.NextContinuationToken
	}
	elapsed := time.Since(t0)
	full.PeakRSS, full.ServerCPU = end()
	full.PeakAnon = benv.Sampler.PeakAnon()
	full.Ops, full.Duration = keys, elapsed
	full.OpsPerSec = float64(keys) / elapsed.Seconds()
	full.P50, full.P99, full.P999 = elapsed, elapsed, elapsed
	full.Note = fmt.Sprintf("%d keys in %d pages", keys, pages)
	if err != nil {
		full.Errors = 1
		full.Note = joinNote(full.Note, fmt.Sprintf("error: %v", err))
		if keys == 0 {
			full.Unavailable = full.Note
		}
	} else if keys != s.ExpectKeys {
		full.Note = joinNote(full.Note, fmt.Sprintf("expected %d keys", s.ExpectKeys))
	}
	return []Result{first, full}, nil
}

// EnsureBucket creates bucket unless the target already has it.
func EnsureBucket(ctx context.Context, env *Env, bucket string) error {
	c := env.Client(0)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err == nil {
		return nil
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s on %s: %w", bucket, env.Target.Name, err)
	}
	return nil
}
