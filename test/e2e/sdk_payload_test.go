package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// payloadRecorder is a RoundTripper that records the x-amz-content-sha256
// mode of every PUT, optionally rewrites https:// to http:// (so the SDK,
// believing it talks TLS, uses its default aws-chunked trailer mode) and
// optionally mutates PUT bodies.
type payloadRecorder struct {
	base      http.RoundTripper
	downgrade bool
	mutate    func(body []byte) []byte // nil = leave alone

	mu    sync.Mutex
	modes []string
}

func (p *payloadRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut {
		p.mu.Lock()
		mode := req.Header.Get("X-Amz-Content-Sha256")
		if len(mode) == 64 && !strings.HasPrefix(mode, "STREAMING") {
			mode = "signed" // a hex payload hash
		}
		p.modes = append(p.modes, mode)
		p.mu.Unlock()
	}
	if p.downgrade && req.URL.Scheme == "https" {
		req = req.Clone(req.Context())
		req.URL.Scheme = "http"
	}
	if p.mutate != nil && req.Method == http.MethodPut && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = p.mutate(body)
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	return p.base.RoundTrip(req)
}

// sawOnly fails unless every recorded PUT used mode.
func (p *payloadRecorder) sawOnly(t testing.TB, mode string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.modes) == 0 {
		t.Fatalf("no PUT recorded, want x-amz-content-sha256 %s", mode)
	}
	for _, m := range p.modes {
		if m != mode {
			t.Fatalf("x-amz-content-sha256 modes %q, want only %s", p.modes, mode)
		}
	}
	p.modes = nil
}

// recordingClient is an SDK client whose requests go through rec.
func (e *sdkEnv) recordingClient(rec *payloadRecorder, optFns ...func(*s3.Options)) *s3.Client {
	return e.client(e.key, append([]func(*s3.Options){func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: rec, Timeout: sdkHTTPTimeout}
		if rec.downgrade {
			o.BaseEndpoint = aws.String("https://" + e.n.S3Addr)
		}
	}}, optFns...)...)
}

// unsignedPayload makes the SDK send x-amz-content-sha256: UNSIGNED-PAYLOAD.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware(st)
	})
}

var trailerChecksum = regexp.MustCompile(`x-amz-checksum-[a-z0-9]+:([A-Za-z0-9+/=]+)`)

// corruptTrailer replaces the checksum value in an aws-chunked trailer by
// another valid base64 value of the same length.
func corruptTrailer(body []byte) []byte {
	m := trailerChecksum.FindSubmatchIndex(body)
	if m == nil {
		return body
	}
	val := body[m[2]:m[3]]
	raw, err := base64.StdEncoding.DecodeString(string(val))
	if err != nil {
		return body
	}
	raw[0] ^= 0xff
	out := append([]byte{}, body...)
	copy(out[m[2]:m[3]], base64.StdEncoding.EncodeToString(raw))
	return out
}

// corruptChunkData flips a byte of the first aws-chunked chunk's data (the
// byte after the first chunk header's CRLF).
func corruptChunkData(body []byte) []byte {
	i := bytes.Index(body, []byte("\r\n"))
	if i < 0 || i+2 >= len(body) {
		return body
	}
	out := append([]byte{}, body...)
	out[i+2] ^= 0xff
	return out
}

// TestSDKPayloadModes uploads with every payload mode of SigV4 that current
// SDKs send, checks which mode was actually on the wire, and that the
// object and its checksum are stored.
func TestSDKPayloadModes(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "payloads")
	sizes := []int{0, 1000, 2*mib + 17}

	t.Run("SignedPayload", func(t *testing.T) {
		rec := &payloadRecorder{base: http.DefaultTransport}
		c := e.recordingClient(rec)
		for _, n := range sizes {
			data := randBytes(uint64(200+n), n)
			e.put(t, c, b, fmt.Sprintf("signed/%d", n), data)
			e.wantObject(t, b, fmt.Sprintf("signed/%d", n), data)
		}
		rec.sawOnly(t, "signed")
	})

	t.Run("UnsignedPayload", func(t *testing.T) {
		rec := &payloadRecorder{base: http.DefaultTransport}
		c := e.recordingClient(rec, unsignedPayload)
		for _, n := range sizes {
			data := randBytes(uint64(300+n), n)
			e.put(t, c, b, fmt.Sprintf("unsigned/%d", n), data)
			e.wantObject(t, b, fmt.Sprintf("unsigned/%d", n), data)
		}
		rec.sawOnly(t, "UNSIGNED-PAYLOAD")
	})

	t.Run("UnsignedPayloadTrailer", func(t *testing.T) {
		// What aws-sdk-go-v2 sends by default over TLS: aws-chunked body,
		// unsigned, with the checksum in a trailer.
		rec := &payloadRecorder{base: http.DefaultTransport, downgrade: true}
		c := e.recordingClient(rec)
		for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha256} {
			for _, n := range sizes[1:] {
				key := fmt.Sprintf("trailer/%s/%d", algo, n)
				data := randBytes(uint64(400+n), n)
				out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(data), ChecksumAlgorithm: algo})
				if err != nil {
					t.Fatalf("PutObject %s: %v", key, err)
				}
				e.wantObject(t, b, key, data)
				get, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, get.Body)
				get.Body.Close()
				want := checksumOf(algo, data)
				if got := (checksumFields{get.ChecksumCRC32, get.ChecksumCRC32C, get.ChecksumCRC64NVME, get.ChecksumSHA1, get.ChecksumSHA256}).get(algo); got != want {
					t.Errorf("%s: stored checksum %q, want %q (PutObject answered %q)", key, got, want,
						(checksumFields{out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256}).get(algo))
				}
			}
		}
		rec.sawOnly(t, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	})

	t.Run("UnsignedPayloadTrailerBadChecksum", func(t *testing.T) {
		rec := &payloadRecorder{base: http.DefaultTransport, downgrade: true, mutate: corruptTrailer}
		c := e.recordingClient(rec)
		e.put(t, e.c, b, "trailer/bad", []byte("old"))
		for _, n := range sizes[1:] {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("trailer/bad"), Body: bytes.NewReader(randBytes(5, n)),
				ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
			wantAPIErr(t, err, "BadDigest", 400)
		}
		rec.sawOnly(t, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		e.wantObject(t, b, "trailer/bad", []byte("old"))
	})

	mc := func(t *testing.T, rec *payloadRecorder, trailing bool) *minio.Client {
		t.Helper()
		c, err := minio.New(e.n.S3Addr, &minio.Options{
			Creds: miniocreds.NewStaticV4(e.key.ID, e.key.Secret, ""), Region: region,
			BucketLookup: minio.BucketLookupPath, MaxRetries: 1, Transport: rec, TrailingHeaders: trailing,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("StreamingSigned", func(t *testing.T) {
		// minio-go over plain HTTP signs every chunk.
		rec := &payloadRecorder{base: http.DefaultTransport}
		c := mc(t, rec, false)
		for _, n := range sizes {
			data := randBytes(uint64(500+n), n)
			key := fmt.Sprintf("streaming/%d", n)
			if _, err := c.PutObject(ctx, b, key, bytes.NewReader(data), int64(n), minio.PutObjectOptions{DisableMultipart: true}); err != nil {
				t.Fatalf("minio PutObject %s: %v", key, err)
			}
			e.wantObject(t, b, key, data)
		}
		rec.sawOnly(t, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	})

	t.Run("StreamingSignedBadChunk", func(t *testing.T) {
		rec := &payloadRecorder{base: http.DefaultTransport, mutate: corruptChunkData}
		c := mc(t, rec, false)
		e.put(t, e.c, b, "streaming/bad", []byte("old"))
		data := randBytes(6, 100000)
		_, err := c.PutObject(ctx, b, "streaming/bad", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{DisableMultipart: true})
		// A chunk whose bytes do not match its chunk signature → 403
		// SignatureDoesNotMatch.
		wantMinioErr(t, err, "SignatureDoesNotMatch", 403)
		rec.sawOnly(t, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		e.wantObject(t, b, "streaming/bad", []byte("old"))
	})

	t.Run("StreamingSignedTrailer", func(t *testing.T) {
		rec := &payloadRecorder{base: http.DefaultTransport}
		c := mc(t, rec, true)
		for _, n := range sizes[1:] {
			data := randBytes(uint64(600+n), n)
			key := fmt.Sprintf("streaming-trailer/%d", n)
			if _, err := c.PutObject(ctx, b, key, bytes.NewReader(data), int64(n), minio.PutObjectOptions{
				DisableMultipart: true, Checksum: minio.ChecksumCRC32C,
			}); err != nil {
				t.Fatalf("minio PutObject %s: %v", key, err)
			}
			e.wantObject(t, b, key, data)
			head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aws.ToString(head.ChecksumCRC32C), checksumOf(types.ChecksumAlgorithmCrc32c, data); got != want {
				t.Errorf("%s: stored CRC32C %q, want %q", key, got, want)
			}
		}
		rec.sawOnly(t, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
	})
}
