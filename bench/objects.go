package bench

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SizeName is a short human name for a byte size ("4KiB", "1MiB").
func SizeName(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// salt makes payload stream ids distinct between scenarios.
func salt(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64() << 32
}

// PutGet writes objects of Size bytes with Put, records their keys in the
// pool named after the scenario, then reads random ones back with Get.
type PutGet struct {
	Size    int64
	Put     Load
	Get     Load
	Payload *Payload
}

func (s PutGet) Name() string { return fmt.Sprintf("%s-c%d", SizeName(s.Size), s.Put.Clients) }

func (s PutGet) Run(ctx context.Context, env *Env) ([]Result, error) {
	name := s.Name()
	put := env.newResult(name, "PUT", s.Put.Clients, s.Size)
	keys, err := putObjects(ctx, env, s.Put, &put, prefixKeys("obj/"+name), s.Size, s.Payload)
	if err != nil {
		return nil, err
	}
	env.SetPool(name, keys)
	get := env.newResult(name, "GET", s.Get.Clients, s.Size)
	getObjects(ctx, env, s.Get, &get, keys)
	return []Result{put, get}, nil
}

// prefixKeys names object i prefix/NNNNNNNN.
func prefixKeys(prefix string) func(int64) string {
	return func(i int64) string { return fmt.Sprintf("%s/%08d", prefix, i) }
}

// putObjects runs a PUT load of unique objects named by keyOf(operation
// number) and returns the keys written successfully.
func putObjects(ctx context.Context, env *Env, l Load, res *Result, keyOf func(int64) string, size int64, p *Payload) ([]string, error) {
	var mu sync.Mutex
	var keys []string
	bufs := make([][]byte, max(l.Clients, 1))
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	sl := salt(keyOf(0))
	l.run(ctx, env, res, func(ctx context.Context, w int, i int64) (int64, error) {
		key := keyOf(i)
		buf := bufs[w]
		p.Fill(buf, sl|uint64(i), 0)
		_, err := env.Client(w).PutObject(ctx, &s3.PutObjectInput{
			Bucket:        &env.Bucket,
			Key:           &key,
			Body:          bytes.NewReader(buf),
			ContentLength: aws.Int64(size),
		})
		if err != nil {
			return 0, err
		}
		mu.Lock()
		keys = append(keys, key)
		mu.Unlock()
		return size, nil
	})
	if len(keys) == 0 {
		env.logf("%s: no object written (%s)", keyOf(0), res.Note)
	}
	return keys, nil
}

// getObjects runs a GET load over random keys of the pool.
func getObjects(ctx context.Context, env *Env, l Load, res *Result, keys []string) {
	if len(keys) == 0 {
		res.Unavailable = "no objects to read (PUT failed)"
		return
	}
	l.run(ctx, env, res, func(ctx context.Context, w int, i int64) (int64, error) {
		return getOne(ctx, env.Client(w), env.Bucket, keys[rand.IntN(len(keys))])
	})
}

func getOne(ctx context.Context, c *s3.Client, bucket, key string) (int64, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return 0, err
	}
	defer out.Body.Close()
	return io.Copy(io.Discard, out.Body)
}

// Delete deletes the objects of a pool written by an earlier scenario, one
// DeleteObject per key, until the pool or the load runs out.
type Delete struct {
	Pool string
	Load Load
}

func (s Delete) Name() string { return fmt.Sprintf("delete-c%d", s.Load.Clients) }

func (s Delete) Run(ctx context.Context, env *Env) ([]Result, error) {
	res := env.newResult(s.Name(), "DELETE", s.Load.Clients, 0)
	keys := env.Pool(s.Pool)
	if len(keys) == 0 {
		res.Unavailable = "no objects to delete (pool " + s.Pool + " empty)"
		return []Result{res}, nil
	}
	l := s.Load
	if l.Count <= 0 || l.Count > int64(len(keys)) {
		l.Count = int64(len(keys))
	}
	l.run(ctx, env, &res, func(ctx context.Context, w int, i int64) (int64, error) {
		_, err := env.Client(w).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &env.Bucket, Key: &keys[i]})
		return 0, err
	})
	env.SetPool(s.Pool, keys[res.Ops+res.Errors:])
	return []Result{res}, nil
}

// Mixed is a closed-loop mix: each operation is a GET of a random object of
// Pool with probability ReadFraction, else a PUT of a new object of Size.
type Mixed struct {
	Pool         string
	Size         int64
	ReadFraction float64
	Load         Load
	Payload      *Payload
}

func (s Mixed) Name() string {
	return fmt.Sprintf("mixed-%.0f/%.0f-%s-c%d", s.ReadFraction*100, (1-s.ReadFraction)*100, SizeName(s.Size), s.Load.Clients)
}

func (s Mixed) Run(ctx context.Context, env *Env) ([]Result, error) {
	res := env.newResult(s.Name(), "GET+PUT", s.Load.Clients, s.Size)
	keys := env.Pool(s.Pool)
	if len(keys) == 0 {
		res.Unavailable = "no objects to read (pool " + s.Pool + " empty)"
		return []Result{res}, nil
	}
	bufs := make([][]byte, max(s.Load.Clients, 1))
	for i := range bufs {
		bufs[i] = make([]byte, s.Size)
	}
	prefix := "obj/" + s.Name()
	sl := salt(prefix)
	s.Load.run(ctx, env, &res, func(ctx context.Context, w int, i int64) (int64, error) {
		if rand.Float64() < s.ReadFraction {
			return getOne(ctx, env.Client(w), env.Bucket, keys[rand.IntN(len(keys))])
		}
		key := fmt.Sprintf("%s/%08d", prefix, i)
		buf := bufs[w]
		s.Payload.Fill(buf, sl|uint64(i), 0)
		_, err := env.Client(w).PutObject(ctx, &s3.PutObjectInput{
			Bucket: &env.Bucket, Key: &key, Body: bytes.NewReader(buf), ContentLength: aws.Int64(s.Size),
		})
		if err != nil {
			return 0, err
		}
		return s.Size, nil
	})
	return []Result{res}, nil
}

// Get reads random objects of a pool: a GET-only load. With Prefix set and
// the pool empty, it first lists up to 100,000 keys under Prefix (objects
// an earlier run wrote).
type Get struct {
	Pool   string
	Prefix string
	Load   Load
}

func (s Get) Name() string { return s.Pool }

func (s Get) Run(ctx context.Context, env *Env) ([]Result, error) {
	keys := env.Pool(s.Pool)
	if len(keys) == 0 && s.Prefix != "" {
		var err error
		if keys, err = listKeys(ctx, env, s.Prefix, 100_000); err != nil {
			return nil, err
		}
	}
	res := env.newResult(s.Name(), "GET", s.Load.Clients, 0)
	getObjects(ctx, env, s.Load, &res, keys)
	if res.Ops > 0 {
		res.Size = res.Bytes / res.Ops
	}
	return []Result{res}, nil
}

// listKeys lists up to limit keys under prefix.
func listKeys(ctx context.Context, env *Env, prefix string, limit int) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(env.Client(0), &s3.ListObjectsV2Input{Bucket: &env.Bucket, Prefix: &prefix})
	for p.HasMorePages() && len(keys) < limit {
		out, err := p.NextPage(ctx)
		if err != nil {
			return keys, err
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}
