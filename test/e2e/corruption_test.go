package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const corruptMetric = "garageweb_block_corrupt_total"

// TestBlockCorruption flips one byte in a block file on disk and requires
// that a GET never returns the object complete with 200 (error status, or
// an errored/truncated body), that an error status comes with a whole error
// document, and that the corruption counter goes up.
// Two objects: one with its first block corrupted (nothing sent yet when it
// is read), one with its second block corrupted (the first 1 MiB may
// already be on the wire).
func TestBlockCorruption(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "corruption")
	cl := n.S3(k)
	ctx := context.Background()
	const bucket = "corruption"
	const blockSize = 1 << 20
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	objects := []struct {
		key          string
		body         []byte
		corruptBlock int
	}{
		{"first-block-bad", randBytes(501, 2*blockSize), 0},
		{"second-block-bad", randBytes(502, 2*blockSize), 1},
	}
	for _, o := range objects {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(o.body)}); err != nil {
			t.Fatalf("PutObject %s: %v", o.key, err)
		}
		// Sanity: intact object reads back (so a later failure is the corruption's).
		if got := getAll(t, cl, bucket, o.key); !bytes.Equal(got, o.body) {
			t.Fatalf("intact %s reads back wrong: %d bytes", o.key, len(got))
		}
	}

	for _, o := range objects {
		chunk := o.body[o.corruptBlock*blockSize : (o.corruptBlock+1)*blockSize]
		path := blockPath(n.DataDir, chunk)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("block %d of %s not at its content address %s (%v); block files under data_dir:\n%s",
				o.corruptBlock, o.key, path, err, listBlockFiles(n.DataDir))
		}
		if !bytes.Equal(data, chunk) {
			t.Fatalf("block file %s (compression_level 0) holds %d bytes that are not the plaintext block", path, len(data))
		}
		data[len(data)/2] ^= 0x01
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Restart so that no in-memory cache can serve the intact bytes.
	n.Restart(t)
	before, _ := n.Metric(t, corruptMetric) // absent = 0

	presign := s3.NewPresignClient(n.S3(k))
	for _, o := range objects {
		for attempt := 1; attempt <= 2; attempt++ {
			req, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key)},
				s3.WithPresignExpires(5*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			status, nbody, bodyErr, same := rawGet(t, req.URL, o.body)
			desc := fmt.Sprintf("GET %s (block %d corrupted, try %d): status %d, %d of %d bytes, body error %v",
				o.key, o.corruptBlock, attempt, status, nbody, len(o.body), bodyErr)
			switch {
			case status == http.StatusOK && bodyErr == nil && nbody == len(o.body) && same:
				t.Errorf("%s: returned the ORIGINAL bytes: the corrupted block was not read from disk (cache?)", desc)
			case status == http.StatusOK && bodyErr == nil && nbody == len(o.body):
				t.Errorf("%s: corrupted data served as a complete, successful response", desc)
			case status != http.StatusOK && status != 0 && bodyErr != nil:
				// Nothing was sent yet, so the error document must be whole:
				// clients should see an S3 error, not a broken connection.
				t.Errorf("%s: error response is malformed (its body is cut short: object headers such as Content-Length left on the error?)", desc)
			case status == http.StatusOK && bodyErr == nil:
				t.Logf("%s: detected (truncated body, clean EOF — clients only notice via Content-Length)", desc)
			default:
				t.Logf("%s: detected", desc)
			}
		}
	}

	after, ok := n.Metric(t, corruptMetric)
	if !ok {
		t.Fatalf("%s missing from /metrics after reading corrupted blocks", corruptMetric)
	}
	if after <= before {
		t.Fatalf("%s = %v after reading corrupted blocks, was %v before", corruptMetric, after, before)
	}
	t.Logf("%s went from %v to %v", corruptMetric, before, after)
}

// blockPath is the content address of a plaintext block under dataDir:
// <hh>/<hh>/<sha256 hex>.
func blockPath(dataDir string, block []byte) string {
	s := sha256.Sum256(block)
	h := hex.EncodeToString(s[:])
	return filepath.Join(dataDir, h[0:2], h[2:4], h)
}

func listBlockFiles(dir string) string {
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				fmt.Fprintf(&b, "  %s (%d bytes)\n", p, info.Size())
			}
		}
		return nil
	})
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}

// rawGet fetches u with net/http and reports status, how many body bytes
// arrived, the body read error and whether they equal want.
func rawGet(t *testing.T, u string, want []byte) (status, n int, bodyErr error, same bool) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Get(u)
	if err != nil {
		// No response at all (connection closed before headers): detected.
		return 0, 0, err, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, len(b), err, bytes.Equal(b, want)
}
