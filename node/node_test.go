package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/garage-web/garage-web/config"
)

// testNode opens a node on temporary directories and serves its S3 API
// on an httptest server; it returns an SDK client with a bucket-creating key.
func testNode(t testing.TB) (*Node, *s3.Client) {
	t.Helper()
	cfg, err := config.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.MetadataDir, cfg.DataDir = dir+"/meta", dir+"/data"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	n, err := Open(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.db.Close() })
	srv := httptest.NewServer(n.s3.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	k, err := n.model.CreateKey(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	allow := true
	if _, err := n.model.UpdateKey(ctx, k.ID, nil, &allow); err != nil {
		t.Fatal(err)
	}
	client := s3.New(s3.Options{
		Region:       "garage",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""),
	})
	return n, client
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestS3RoundTrip(t *testing.T) {
	_, c := testNode(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bk1")}); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 10, 3000, 5000, 1 << 20, 3<<20 + 17} {
		data := make([]byte, size)
		rand.Read(data)
		key := "dir/obj-" + strings.Repeat("x", size%7)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bk1"), Key: aws.String(key), Body: bytes.NewReader(data), ContentType: aws.String("text/plain")}); err != nil {
			t.Fatalf("put %d: %v", size, err)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bk1"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %d: %v", size, err)
		}
		got, err := io.ReadAll(out.Body)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get %d: %d bytes, err %v", size, len(got), err)
		}
		if size > 10 {
			r, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bk1"), Key: aws.String(key), Range: aws.String("bytes=5-9")})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r.Body)
			if !bytes.Equal(got, data[5:10]) {
				t.Fatalf("range of %d: got %v", size, got)
			}
		}
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bk1"), Key: aws.String("missing")})
	if apiCode(err) != "NoSuchKey" {
		t.Fatalf("missing key: %v", err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bk1"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.CommonPrefixes) != 1 || *list.CommonPrefixes[0].Prefix != "dir/" {
		t.Fatalf("list: %+v", list.CommonPrefixes)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("bk1")}); apiCode(err) != "BucketNotEmpty" {
		t.Fatalf("delete non-empty bucket: %v", err)
	}
}

func TestS3Multipart(t *testing.T) {
	_, c := testNode(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mpu")}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var parts []types.CompletedPart
	for i, size := range []int{5 << 20, 5<<20 + 3, 1234} {
		data := make([]byte, size)
		rand.Read(data)
		all = append(all, data...)
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: p.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big"), Range: aws.String("bytes=5242870-5242890")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	if !bytes.Equal(got, all[5242870:5242891]) {
		t.Fatalf("range across parts differs")
	}
	out, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(out.Body)
	if !bytes.Equal(got, all) || !strings.HasSuffix(*out.ETag, `-3"`) {
		t.Fatalf("multipart object differs (%d bytes, etag %s)", len(got), *out.ETag)
	}
}
