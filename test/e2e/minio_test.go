package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// minioClient is a minio-go client for k on n: path style, plain HTTP
// (so PUTs use STREAMING-AWS4-HMAC-SHA256-PAYLOAD), one try per request.
func minioClient(t *testing.T, n *Node, k Key) *minio.Client {
	t.Helper()
	c, err := minio.New(n.S3Addr, &minio.Options{
		Creds:        miniocreds.NewStaticV4(k.ID, k.Secret, ""),
		Secure:       false,
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
	})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	return c
}

// wantMinioErr fails unless err is an S3 error with code and status.
func wantMinioErr(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s (HTTP %d)", code, status)
	}
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("got %v (%T), want S3 error %s (HTTP %d)", err, err, code, status)
	}
	if er.Code != code || er.StatusCode != status {
		t.Fatalf("got %s (HTTP %d): %s; want %s (HTTP %d)", er.Code, er.StatusCode, er.Message, code, status)
	}
}

func minioRead(t *testing.T, c *minio.Client, ctx context.Context, bucket, key string, opts minio.GetObjectOptions) []byte {
	t.Helper()
	obj, err := c.GetObject(ctx, bucket, key, opts)
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("GetObject %s/%s: reading: %v", bucket, key, err)
	}
	return b
}

func minioList(t *testing.T, c *minio.Client, ctx context.Context, bucket string, opts minio.ListObjectsOptions) []string {
	t.Helper()
	var keys []string
	for o := range c.ListObjects(ctx, bucket, opts) {
		if o.Err != nil {
			t.Fatalf("ListObjects %+v: %v", opts, o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// TestMinio drives the node with minio-go v7.
func TestMinio(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "minio")
	c := minioClient(t, n, k)
	ctx, cancel := context.WithTimeout(t.Context(), sdkTestTimeout)
	defer cancel()
	const b = "minio-bucket"

	t.Run("MakeBucket", func(t *testing.T) {
		if err := c.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: region}); err != nil {
			t.Fatalf("MakeBucket: %v", err)
		}
		ok, err := c.BucketExists(ctx, b)
		if err != nil || !ok {
			t.Fatalf("BucketExists: %v %v", ok, err)
		}
		ok, err = c.BucketExists(ctx, "no-such-bucket")
		if err != nil || ok {
			t.Fatalf("BucketExists(no-such-bucket): %v %v", ok, err)
		}
		wantMinioErr(t, c.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: region}), "BucketAlreadyOwnedByYou", 409)
		buckets, err := c.ListBuckets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(buckets) != 1 || buckets[0].Name != b {
			t.Fatalf("ListBuckets: %+v", buckets)
		}
	})

	small := []byte("small object from minio-go")
	t.Run("PutSmall", func(t *testing.T) {
		info, err := c.PutObject(ctx, b, "small.txt", bytes.NewReader(small), int64(len(small)), minio.PutObjectOptions{
			ContentType: "text/plain", UserMetadata: map[string]string{"Origin": "minio-go"},
		})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if info.ETag != sdkMD5Hex(small) || info.Size != int64(len(small)) {
			t.Errorf("UploadInfo ETag %q size %d, want %q %d", info.ETag, info.Size, sdkMD5Hex(small), len(small))
		}
		if got := minioRead(t, c, ctx, b, "small.txt", minio.GetObjectOptions{}); !bytes.Equal(got, small) {
			t.Fatalf("GetObject: %q", got)
		}
		st, err := c.StatObject(ctx, b, "small.txt", minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject: %v", err)
		}
		if st.Size != int64(len(small)) || st.ETag != sdkMD5Hex(small) || st.ContentType != "text/plain" ||
			!maps.Equal(st.UserMetadata, map[string]string{"Origin": "minio-go"}) {
			t.Errorf("StatObject: size %d etag %q type %q meta %v", st.Size, st.ETag, st.ContentType, st.UserMetadata)
		}
	})

	big := randBytes(101, 16*mib)
	t.Run("PutMultipart", func(t *testing.T) {
		info, err := c.PutObject(ctx, b, "dir/big.bin", bytes.NewReader(big), int64(len(big)), minio.PutObjectOptions{
			PartSize: 5 * mib, ContentType: "application/octet-stream",
		})
		if err != nil {
			t.Fatalf("PutObject 16 MiB: %v", err)
		}
		// 16 MiB in 5 MiB parts: 4 parts.
		if !strings.HasSuffix(info.ETag, "-4") {
			t.Errorf("ETag %q, want a 4-part multipart ETag", info.ETag)
		}
		if got := minioRead(t, c, ctx, b, "dir/big.bin", minio.GetObjectOptions{}); !bytes.Equal(got, big) {
			t.Fatalf("GetObject 16 MiB: %d bytes sha256 %.12s", len(got), sha256Hex(got))
		}
		var opts minio.GetObjectOptions
		if err := opts.SetRange(5*mib-3, 5*mib+2); err != nil {
			t.Fatal(err)
		}
		if got := minioRead(t, c, ctx, b, "dir/big.bin", opts); !bytes.Equal(got, big[5*mib-3:5*mib+3]) {
			t.Fatalf("ranged GetObject across parts: %x", got)
		}
		st, err := c.StatObject(ctx, b, "dir/big.bin", minio.StatObjectOptions{})
		if err != nil || st.Size != int64(len(big)) {
			t.Fatalf("StatObject: %+v %v", st, err)
		}
	})

	t.Run("PutUnknownSize", func(t *testing.T) {
		// Size -1: minio-go streams parts of PartSize from the reader.
		data := randBytes(102, 6*mib+1)
		if _, err := c.PutObject(ctx, b, "dir/stream.bin", bytes.NewReader(data), -1, minio.PutObjectOptions{PartSize: 5 * mib}); err != nil {
			t.Fatalf("PutObject size -1: %v", err)
		}
		if got := minioRead(t, c, ctx, b, "dir/stream.bin", minio.GetObjectOptions{}); !bytes.Equal(got, data) {
			t.Fatalf("GetObject: %d bytes", len(got))
		}
	})

	t.Run("Errors", func(t *testing.T) {
		_, err := c.StatObject(ctx, b, "missing", minio.StatObjectOptions{})
		wantMinioErr(t, err, "NoSuchKey", 404)
		obj, err := c.GetObject(ctx, b, "missing", minio.GetObjectOptions{})
		if err == nil {
			_, err = io.ReadAll(obj)
			obj.Close()
		}
		wantMinioErr(t, err, "NoSuchKey", 404)
		_, err = c.PutObject(ctx, "no-such-bucket", "k", bytes.NewReader(small), int64(len(small)), minio.PutObjectOptions{})
		wantMinioErr(t, err, "NoSuchBucket", 404)
		bad := minioClient(t, n, Key{ID: k.ID, Secret: "wrong-secret"})
		_, err = bad.PutObject(ctx, b, "small.txt", bytes.NewReader([]byte("overwrite")), 9, minio.PutObjectOptions{})
		wantMinioErr(t, err, "SignatureDoesNotMatch", 403)
		if got := minioRead(t, c, ctx, b, "small.txt", minio.GetObjectOptions{}); !bytes.Equal(got, small) {
			t.Fatalf("small.txt changed by a refused PUT: %q", got)
		}
	})

	t.Run("ListObjects", func(t *testing.T) {
		wantStrings(t, "recursive", minioList(t, c, ctx, b, minio.ListObjectsOptions{Recursive: true}),
			[]string{"dir/big.bin", "dir/stream.bin", "small.txt"})
		// minio-go yields a page's objects before its prefixes: compare sorted.
		wantStrings(t, "top level", slices.Sorted(slices.Values(minioList(t, c, ctx, b, minio.ListObjectsOptions{}))), []string{"dir/", "small.txt"})
		wantStrings(t, "prefix dir/", minioList(t, c, ctx, b, minio.ListObjectsOptions{Prefix: "dir/"}), []string{"dir/big.bin", "dir/stream.bin"})
		wantStrings(t, "v1 recursive", minioList(t, c, ctx, b, minio.ListObjectsOptions{Recursive: true, UseV1: true}),
			[]string{"dir/big.bin", "dir/stream.bin", "small.txt"})
		wantStrings(t, "v2 small pages", minioList(t, c, ctx, b, minio.ListObjectsOptions{Recursive: true, MaxKeys: 1}),
			[]string{"dir/big.bin", "dir/stream.bin", "small.txt"})
	})

	t.Run("CopyObject", func(t *testing.T) {
		_, err := c.CopyObject(ctx, minio.CopyDestOptions{Bucket: b, Object: "copies/big.bin"}, minio.CopySrcOptions{Bucket: b, Object: "dir/big.bin"})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if got := minioRead(t, c, ctx, b, "copies/big.bin", minio.GetObjectOptions{}); !bytes.Equal(got, big) {
			t.Fatal("copy differs from source")
		}
		_, err = c.CopyObject(ctx, minio.CopyDestOptions{Bucket: b, Object: "copies/small.txt", ReplaceMetadata: true, UserMetadata: map[string]string{"Copied": "yes"}},
			minio.CopySrcOptions{Bucket: b, Object: "small.txt"})
		if err != nil {
			t.Fatalf("CopyObject REPLACE: %v", err)
		}
		st, err := c.StatObject(ctx, b, "copies/small.txt", minio.StatObjectOptions{})
		if err != nil || !maps.Equal(st.UserMetadata, map[string]string{"Copied": "yes"}) {
			t.Fatalf("copy metadata: %v %v", st.UserMetadata, err)
		}
		_, err = c.CopyObject(ctx, minio.CopyDestOptions{Bucket: b, Object: "copies/never"},
			minio.CopySrcOptions{Bucket: b, Object: "small.txt", MatchETag: "0123456789abcdef0123456789abcdef"})
		wantMinioErr(t, err, "PreconditionFailed", 412)
		_, err = c.StatObject(ctx, b, "copies/never", minio.StatObjectOptions{})
		wantMinioErr(t, err, "NoSuchKey", 404)
	})

	t.Run("PresignedGet", func(t *testing.T) {
		params := url.Values{}
		params.Set("response-content-type", "application/x-presigned")
		u, err := c.PresignedGetObject(ctx, b, "small.txt", 5*time.Minute, params)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := sdkHTTP.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		got := sdkReadBody(t, resp)
		if resp.StatusCode != 200 || !bytes.Equal(got, small) || resp.Header.Get("Content-Type") != "application/x-presigned" {
			t.Fatalf("presigned GET: HTTP %d %q Content-Type %q", resp.StatusCode, got, resp.Header.Get("Content-Type"))
		}
	})

	t.Run("PresignedPostPolicy", func(t *testing.T) {
		p := minio.NewPostPolicy()
		for _, err := range []error{
			p.SetBucket(b), p.SetKey("posted/form.txt"), p.SetExpires(time.Now().UTC().Add(10 * time.Minute)),
			p.SetContentType("text/plain"), p.SetContentLengthRange(1, 1024),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		u, formData, err := c.PresignedPostPolicy(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		post := func(file []byte) *http.Response {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			for _, name := range slices.Sorted(maps.Keys(formData)) {
				w.WriteField(name, formData[name])
			}
			fw, _ := w.CreateFormFile("file", "form.txt")
			fw.Write(file)
			w.Close()
			req := sdkReq(t, ctx, http.MethodPost, u.String(), &buf)
			req.Header.Set("Content-Type", w.FormDataContentType())
			resp, err := sdkHTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		resp := post([]byte("posted through a minio-go policy"))
		if got := sdkReadBody(t, resp); resp.StatusCode/100 != 2 {
			t.Fatalf("POST with minio-go policy: HTTP %d %s", resp.StatusCode, got)
		}
		if got := minioRead(t, c, ctx, b, "posted/form.txt", minio.GetObjectOptions{}); string(got) != "posted through a minio-go policy" {
			t.Fatalf("posted object: %q", got)
		}
		// Over the policy's content-length-range.
		wantHTTPErr(t, post(bytes.Repeat([]byte("x"), 2000)), "EntityTooLarge", 400)
		if got := minioRead(t, c, ctx, b, "posted/form.txt", minio.GetObjectOptions{}); string(got) != "posted through a minio-go policy" {
			t.Fatalf("posted object changed by a refused POST: %d bytes", len(got))
		}
	})

	t.Run("RemoveObject", func(t *testing.T) {
		if err := c.RemoveObject(ctx, b, "copies/small.txt", minio.RemoveObjectOptions{}); err != nil {
			t.Fatalf("RemoveObject: %v", err)
		}
		_, err := c.StatObject(ctx, b, "copies/small.txt", minio.StatObjectOptions{})
		wantMinioErr(t, err, "NoSuchKey", 404)
		// Removing a missing object is not an error.
		if err := c.RemoveObject(ctx, b, "copies/small.txt", minio.RemoveObjectOptions{}); err != nil {
			t.Fatalf("RemoveObject of a missing key: %v", err)
		}
	})

	t.Run("RemoveObjects", func(t *testing.T) {
		objs := make(chan minio.ObjectInfo)
		go func() {
			defer close(objs)
			for o := range c.ListObjects(ctx, b, minio.ListObjectsOptions{Recursive: true}) {
				if o.Err != nil {
					return
				}
				select {
				case objs <- o:
				case <-ctx.Done():
					return
				}
			}
		}()
		for rerr := range c.RemoveObjects(ctx, b, objs, minio.RemoveObjectsOptions{}) {
			t.Errorf("RemoveObjects %s: %v", rerr.ObjectName, rerr.Err)
		}
		wantStrings(t, "keys after RemoveObjects", minioList(t, c, ctx, b, minio.ListObjectsOptions{Recursive: true}), nil)
		if err := c.RemoveBucket(ctx, b); err != nil {
			t.Fatalf("RemoveBucket of the emptied bucket: %v", err)
		}
	})
}
