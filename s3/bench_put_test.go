package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkPutSigned is the server side of a PUT whose payload digest is
// signed (x-amz-content-sha256: hex SHA-256, as the SDKs send over plain
// HTTP), at one block (256 KiB, 1 MiB) and beyond (4 MiB). The same body
// every time: its blocks are stored once, then only refreshed, so that
// hashing and metadata, not block fsyncs, are what is timed (run with
// TMPDIR on a tmpfs to leave out the metadata fsync too).
func BenchmarkPutSigned(b *testing.B) {
	for _, size := range []int{256 << 10, 1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := mustBenchEnv(b)
			body := make([]byte, size)
			rng := rand.New(rand.NewPCG(uint64(size), 2))
			for i := range body {
				body[i] = byte(rng.Uint32())
			}
			sum := sha256.Sum256(body)
			hash := hex.EncodeToString(sum[:])
			req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/bkt/obj", nil)
			req.Header.Set("X-Amz-Content-Sha256", hash)
			req.ContentLength = int64(size)
			creds := aws.Credentials{AccessKeyID: e.key.ID, SecretAccessKey: e.key.Secret}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "garage", time.Now()); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := req.Clone(context.Background())
				r.Body = io.NopCloser(bytes.NewReader(body))
				w := &sink{h: http.Header{}}
				e.h.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("PUT: %d", w.status)
				}
			}
		})
	}
}
