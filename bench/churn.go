package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// FeatureMetaSize: the target reports the size of its metadata store
// (Target.MetaSize) and can wait for its background collection
// (Target.Settle). MinIO has no equivalent single file.
const FeatureMetaSize = "metadata-size"

// ChurnBucket is the bucket of the churn scenario.
const ChurnBucket = "bench-churn"

// Churn is issue 12's space scenario: Rounds times, PUT Count new objects
// of Size bytes, then DELETE them all, and read the metadata size once the
// target's collection settled. A store whose deleted objects leave
// payload or uncollected entries behind grows every round.
//
// Each round gives a "round N PUT" and a "round N DELETE" figure whose
// MetaBytes is the metadata size after it (after the target settled);
// MetaBefore on round 1's PUT is the size before the first object.
type Churn struct {
	Rounds  int
	Count   int64
	Size    int64
	Clients int
	Payload *Payload
}

func (s Churn) Name() string { return "churn-" + SizeName(s.Size) }

// Needs implements Needs.
func (Churn) Needs() []string { return []string{FeatureMetaSize} }

func (s Churn) Run(ctx context.Context, env *Env) ([]Result, error) {
	t := env.Target
	if err := EnsureBucket(ctx, env, ChurnBucket); err != nil {
		return nil, err
	}
	cenv := env.WithBucket(ChurnBucket)
	// meta settles (every deleted object collected) and reads the size.
	deleted, err := t.Collected(ctx)
	if err != nil {
		return nil, err
	}
	meta := func() (int64, error) {
		if err := t.Settle(ctx, deleted); err != nil {
			return 0, fmt.Errorf("settle: %w", err)
		}
		return t.MetaSize(ctx)
	}
	before, err := meta()
	if err != nil {
		return nil, err
	}
	var out []Result
	for r := 1; r <= s.Rounds && ctx.Err() == nil; r++ {
		name := s.Name()
		put := cenv.newResult(name, fmt.Sprintf("round %d PUT", r), s.Clients, s.Size)
		keyOf := func(i int64) string { return fmt.Sprintf("r%d/%08d", r, i) }
		keys, err := putObjects(ctx, cenv, Load{Clients: s.Clients, Count: s.Count}, &put, keyOf, s.Size, s.Payload)
		if err != nil {
			return out, err
		}
		if put.MetaBytes, err = meta(); err != nil {
			return out, err
		}
		if r == 1 {
			put.MetaBefore = before
		}
		put.LiveObjects = int64(len(keys))
		del := cenv.newResult(name, fmt.Sprintf("round %d DELETE", r), s.Clients, 0)
		l := Load{Clients: s.Clients, Count: int64(len(keys))}
		if len(keys) > 0 {
			l.run(ctx, cenv, &del, func(ctx context.Context, w int, i int64) (int64, error) {
				_, err := cenv.Client(w).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &cenv.Bucket, Key: &keys[i]})
				return 0, err
			})
		}
		deleted += del.Ops
		if del.MetaBytes, err = meta(); err != nil {
			return out, err
		}
		env.logf("  churn round %d: metadata %s after PUT of %d, %s after DELETE", r, fmtBytes(put.MetaBytes), len(keys), fmtBytes(del.MetaBytes))
		out = append(out, put, del)
	}
	return out, nil
}

// ChurnFigures are what the churn rows of a report say.
type ChurnFigures struct {
	// AfterRound is the metadata size after each round's DELETE.
	AfterRound []int64
	// PerLiveObject is the metadata growth per object of round one's PUT.
	PerLiveObject float64
	// Size is the object size (all inline in garage-web up to 16 KiB).
	Size int64
}

// Ratio is the size after the last round over the size after round one.
func (c ChurnFigures) Ratio() float64 {
	if len(c.AfterRound) < 2 || c.AfterRound[0] == 0 {
		return 0
	}
	return float64(c.AfterRound[len(c.AfterRound)-1]) / float64(c.AfterRound[0])
}

// churn collects target's churn figures from the report (ok false if it
// has none).
func (r *Report) churn(target string) (ChurnFigures, bool) {
	var c ChurnFigures
	for _, x := range r.Results {
		if x.Target != target || len(x.Scenario) < 6 || x.Scenario[:6] != "churn-" || x.Unavailable != "" {
			continue
		}
		var round int
		var op string
		if _, err := fmt.Sscanf(x.Op, "round %d %s", &round, &op); err != nil {
			continue
		}
		switch op {
		case "DELETE":
			c.AfterRound = append(c.AfterRound, x.MetaBytes)
		case "PUT":
			if round == 1 && x.LiveObjects > 0 {
				c.PerLiveObject = float64(x.MetaBytes-x.MetaBefore) / float64(x.LiveObjects)
				c.Size = x.Size
			}
		}
	}
	return c, len(c.AfterRound) > 0
}

// churnTable shows the metadata size of each target that reports one,
// round by round.
func (r *Report) churnTable(b *strings.Builder) {
	header := false
	for _, t := range r.Targets {
		c, ok := r.churn(t.Name)
		if !ok {
			continue
		}
		if !header {
			b.WriteString("### Churn: metadata size after each round of PUT + DELETE (once collection settled)\n\n")
			row(b, "target", "round", "metadata", "ratio to round 1")
			sep(b, 4)
			header = true
		}
		for i, n := range c.AfterRound {
			row(b, t.Name, fmt.Sprint(i+1), fmtBytes(n), fmt.Sprintf("%.2fx", float64(n)/float64(max(c.AfterRound[0], 1))))
		}
		if c.Size > 0 {
			row(b, t.Name, "per live object (round 1 PUT)", fmt.Sprintf("%.0f B", c.PerLiveObject), fmt.Sprintf("inline %d B", c.Size))
		}
	}
	if header {
		b.WriteString("\n")
	}
}
