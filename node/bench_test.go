package node

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// discard is a ResponseWriter that drops the body.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkS3Get measures the server side of a GET (presigned, so the
// client's signing is not counted) through the S3 handler, per object size.
func BenchmarkS3Get(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			n, c := testNode(b)
			ctx := context.Background()
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
				b.Fatal(err)
			}
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj"), Body: bytes.NewReader(make([]byte, size))}); err != nil {
				b.Fatal(err)
			}
			ps, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj")})
			if err != nil {
				b.Fatal(err)
			}
			h := n.S3Handler()
			req := httptest.NewRequest(http.MethodGet, ps.URL, nil)
			for k, v := range ps.SignedHeader {
				req.Header[k] = v
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := &discard{h: http.Header{}}
				h.ServeHTTP(w, req.Clone(ctx))
			}
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return "1MiB"
	}
	return "4KiB"
}

// BenchmarkS3Put4KiB measures 4 KiB PUTs through the S3 handler from 16
// goroutines: durable (each answered after its commit), commits grouped.
func BenchmarkS3Put4KiB(b *testing.B) {
	n, c := testNode(b)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 4<<10)
	ps, err := s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj")})
	if err != nil {
		b.Fatal(err)
	}
	h := n.S3Handler()
	b.SetBytes(int64(len(body)))
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPut, ps.URL, bytes.NewReader(body))
			for k, v := range ps.SignedHeader {
				req.Header[k] = v
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Errorf("PUT: %d %s", w.Code, w.Body.String())
				return
			}
		}
	})
}
