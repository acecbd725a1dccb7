package sigv4_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/s3/sigv4"
)

// objectServer is the smallest S3 server that exercises the verifier the
// way the front end will: Verify, then checksum.New over Result.Body with
// Result.Trailer, then store (PUT) or serve (GET) the object.
type objectServer struct {
	v       *sigv4.Verifier
	mu      sync.Mutex
	objects map[string][]byte
	seen    map[string]bool // payload modes received (x-amz-content-sha256)
}

func newObjectServer() *objectServer {
	v := newVerifier()
	v.Now = nil // the clients sign with the real clock
	return &objectServer{v: v, objects: map[string][]byte{}, seen: map[string]bool{}}
}

func (s *objectServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := s.serve(w, r); err != nil {
		e, _ := s3err.From(err)
		s3err.Write(w, r, e, "test")
	}
}

func (s *objectServer) serve(w http.ResponseWriter, r *http.Request) error {
	res, err := s.v.Verify(r)
	if err != nil {
		return err
	}
	if res.AccessKeyID != testKey {
		return s3err.ErrAccessDenied
	}
	mode := r.Header.Get("X-Amz-Content-Sha256")
	if len(mode) == 64 {
		mode = "<sha256>"
	}
	s.mu.Lock()
	s.seen[mode] = true
	s.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		ck, err := checksum.New(res.Body, r.Header, res.Trailer)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(ck)
		if err != nil {
			return err
		}
		if int64(len(data)) != res.ContentLength {
			return fmt.Errorf("read %d bytes, ContentLength %d", len(data), res.ContentLength)
		}
		s.mu.Lock()
		s.objects[r.URL.Path] = data
		s.mu.Unlock()
		for alg, v := range ck.Checksums() {
			w.Header().Set(checksum.Header(alg), v)
		}
		w.Header().Set("ETag", `"`+hex.EncodeToString(ck.MD5())+`"`)
		return nil
	case http.MethodGet, http.MethodHead:
		s.mu.Lock()
		data, ok := s.objects[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			return s3err.ErrNoSuchKey
		}
		sum := md5.Sum(data)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		if r.Method == http.MethodGet {
			_, _ = w.Write(data)
		}
		return nil
	}
	return s3err.ErrMethodNotAllowed
}

func awsClient(srv *httptest.Server, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testKey, SecretAccessKey: secret}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// The AWS SDK for Go v2 sends STREAMING-UNSIGNED-PAYLOAD-TRAILER over
// HTTPS and a signed payload with a checksum header over HTTP.
func TestAWSSDKClient(t *testing.T) {
	for _, tls := range []bool{true, false} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			srv := newObjectServer()
			var hs *httptest.Server
			if tls {
				hs = httptest.NewTLSServer(srv)
			} else {
				hs = httptest.NewServer(srv)
			}
			defer hs.Close()
			client := awsClient(hs, testSecret)
			ctx := context.Background()
			algs := []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256}
			for i, key := range awkwardKeys {
				alg := algs[i%len(algs)]
				data := bytes.Repeat([]byte(key), 1+i*997)
				out, err := client.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String("bucket"), Key: aws.String(key),
					Body: bytes.NewReader(data), ChecksumAlgorithm: alg,
				})
				if err != nil {
					t.Fatalf("PutObject %q (%s): %v", key, alg, err)
				}
				if sum := md5.Sum(data); aws.ToString(out.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
					t.Errorf("ETag %s", aws.ToString(out.ETag))
				}
				got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
				if err != nil {
					t.Fatalf("GetObject %q: %v", key, err)
				}
				b, err := io.ReadAll(got.Body)
				got.Body.Close()
				if err != nil || !bytes.Equal(b, data) {
					t.Fatalf("GetObject %q: %d bytes, %v", key, len(b), err)
				}
			}
			t.Logf("payload modes seen: %v", srv.seen)
			if tls && !srv.seen["STREAMING-UNSIGNED-PAYLOAD-TRAILER"] {
				t.Errorf("the SDK never sent a trailing checksum: %v", srv.seen)
			}

			// The wrong secret is refused with the precise error. (A new
			// client: the SDK caches signing keys by access key id.)
			bad := awsClient(hs, "wrong")
			_, err := bad.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
			var apiErr interface{ ErrorCode() string }
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
				t.Fatalf("wrong secret: %v", err)
			}

			// A presigned GET works over plain HTTP.
			ps := s3.NewPresignClient(client)
			req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(awkwardKeys[2])},
				s3.WithPresignExpires(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hs.Client().Get(req.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("presigned GET: %s", resp.Status)
			}
		})
	}
}

// minio-go signs every chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, with a
// signed trailer when a checksum is asked for) over plain HTTP.
func TestMinioClient(t *testing.T) {
	srv := newObjectServer()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client, err := minio.New(strings.TrimPrefix(hs.URL, "http://"), &minio.Options{
		Creds:           miniocreds.NewStaticV4(testKey, testSecret, ""),
		Region:          testRegion,
		BucketLookup:    minio.BucketLookupPath,
		TrailingHeaders: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, key := range awkwardKeys {
		data := bytes.Repeat([]byte(key), 1+i*7919) // up to ~1.5 MiB: several 64 KiB chunks
		opts := minio.PutObjectOptions{DisableMultipart: true}
		if i%2 == 1 {
			opts.Checksum = minio.ChecksumCRC32C
		}
		if _, err := client.PutObject(ctx, "bucket", key, bytes.NewReader(data), int64(len(data)), opts); err != nil {
			t.Fatalf("PutObject %q: %v", key, err)
		}
		srv.mu.Lock()
		stored := srv.objects["/bucket/"+key]
		srv.mu.Unlock()
		if !bytes.Equal(stored, data) {
			t.Fatalf("stored %d bytes for %q, want %d", len(stored), key, len(data))
		}
	}
	t.Logf("payload modes seen: %v", srv.seen)
	for _, mode := range []string{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"} {
		if !srv.seen[mode] {
			t.Errorf("minio-go never sent %s: %v", mode, srv.seen)
		}
	}
}
