package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Multipart uploads one object of Size bytes with the SDK's upload manager
// (parts of PartSize, Concurrency in flight), then downloads it with the
// download manager (ranged GETs, same part size and concurrency).
type Multipart struct {
	Size        int64
	PartSize    int64
	Concurrency int
	Payload     *Payload
}

func (s Multipart) Name() string { return "multipart-" + SizeName(s.Size) }

func (s Multipart) Run(ctx context.Context, env *Env) ([]Result, error) {
	name := s.Name()
	up := env.newResult(name, "upload", s.Concurrency, s.Size)
	down := env.newResult(name, "download", s.Concurrency, s.Size)
	if !env.Target.Has(FeatureMultipart) {
		up.Unavailable, down.Unavailable = "target has no multipart upload", "target has no multipart upload"
		return []Result{up, down}, nil
	}
	key := "mpu/" + name
	c := env.Client(0)
	uploader := manager.NewUploader(c, func(u *manager.Uploader) {
		u.PartSize = s.PartSize
		u.Concurrency = s.Concurrency
		u.LeavePartsOnError = false
	})
	once(env, &up, func() (int64, error) {
		_, err := uploader.Upload(ctx, &s3.PutObjectInput{
			Bucket: &env.Bucket, Key: &key, Body: s.Payload.Reader(salt(key), s.Size),
		})
		return s.Size, err
	})
	if up.Unavailable != "" {
		down.Unavailable = "upload failed"
		return []Result{up, down}, nil
	}
	downloader := manager.NewDownloader(c, func(d *manager.Downloader) {
		d.PartSize = s.PartSize
		d.Concurrency = s.Concurrency
	})
	once(env, &down, func() (int64, error) {
		return downloader.Download(ctx, discardAt{}, &s3.GetObjectInput{Bucket: &env.Bucket, Key: &key})
	})
	if down.Unavailable == "" && down.Bytes != s.Size {
		down.Note = joinNote(down.Note, fmt.Sprintf("downloaded %d bytes, want %d", down.Bytes, s.Size))
	}
	return []Result{up, down}, nil
}

// once measures a single long operation.
func once(env *Env, res *Result, f func() (int64, error)) {
	end := env.Sampler.Window()
	t0 := time.Now()
	n, err := f()
	elapsed := time.Since(t0)
	res.PeakRSS, res.ServerCPU = end()
	res.PeakAnon = env.Sampler.PeakAnon()
	rec := &Recorder{}
	rec.Observe(elapsed, n, err)
	rec.Fill(res, elapsed)
	if err != nil {
		res.Unavailable = fmt.Sprintf("error: %v", err)
	}
}

// discardAt is an io.WriterAt that drops everything.
type discardAt struct{}

func (discardAt) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
