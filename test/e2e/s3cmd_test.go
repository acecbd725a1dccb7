package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestS3cmd runs s3cmd mb/put/get/ls/del and a 3-part multipart put.
func TestS3cmd(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "s3cmd")
	sc := n.S3cmd(t, k)
	const bucket = "s3cmd-bucket"
	dir := t.TempDir()

	sc.Must(t, "mb", "s3://"+bucket)
	if out := sc.Must(t, "ls"); !strings.Contains(out, "s3://"+bucket) {
		t.Fatalf("s3cmd ls does not list the new bucket:\n%s", out)
	}

	small := randBytes(1, 70<<10)
	smallPath := filepath.Join(dir, "small file.bin")
	if err := os.WriteFile(smallPath, small, 0o644); err != nil {
		t.Fatal(err)
	}
	const smallKey = "dir/small file.bin"
	sc.Must(t, "put", smallPath, "s3://"+bucket+"/"+smallKey)
	got := filepath.Join(dir, "small.got")
	sc.Must(t, "get", "s3://"+bucket+"/"+smallKey, got)
	mustSameFile(t, got, small)

	if out := sc.Must(t, "ls", "s3://"+bucket+"/dir/"); !strings.Contains(out, "s3://"+bucket+"/"+smallKey) {
		t.Fatalf("s3cmd ls s3://%s/dir/ lacks %s:\n%s", bucket, smallKey, out)
	}
	// Without --recursive, ls at the bucket root shows dir/ as a prefix.
	if out := sc.Must(t, "ls", "s3://"+bucket); !regexp.MustCompile(`DIR\s+s3://` + bucket + `/dir/`).MatchString(out) {
		t.Fatalf("s3cmd ls s3://%s lacks the DIR line for dir/:\n%s", bucket, out)
	}

	// Multipart: 12 MiB in 5 MiB chunks = 3 parts.
	big := randBytes(2, 12<<20)
	bigPath := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(bigPath, big, 0o644); err != nil {
		t.Fatal(err)
	}
	// --progress: the part labels are only printed with the progress meter.
	out := sc.Must(t, "put", "--progress", "--multipart-chunk-size-mb=5", bigPath, "s3://"+bucket+"/big.bin")
	if !strings.Contains(out, "part 3 of 3") {
		t.Fatalf("s3cmd multipart put did not report 3 parts:\n%s", out)
	}
	head, err := n.S3(k).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatalf("HeadObject big.bin: %v", err)
	}
	if etag := aws.ToString(head.ETag); !regexp.MustCompile(`^"[0-9a-f]{32}-3"$`).MatchString(etag) {
		t.Errorf("multipart big.bin ETag %s, want \"<md5>-3\"", etag)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(big)) {
		t.Errorf("big.bin ContentLength %d, want %d", aws.ToInt64(head.ContentLength), len(big))
	}
	gotBig := filepath.Join(dir, "big.got")
	sc.Must(t, "get", "s3://"+bucket+"/big.bin", gotBig)
	mustSameFile(t, gotBig, big)

	sc.Must(t, "del", "s3://"+bucket+"/"+smallKey)
	out = sc.Must(t, "ls", "--recursive", "s3://"+bucket)
	if strings.Contains(out, smallKey) || !strings.Contains(out, "s3://"+bucket+"/big.bin") {
		t.Fatalf("s3cmd ls --recursive after del: want only big.bin:\n%s", out)
	}
	if _, e, err := sc.Run("get", "--force", "s3://"+bucket+"/"+smallKey, filepath.Join(dir, "gone")); err == nil {
		t.Fatalf("s3cmd get of a deleted object succeeded; stderr:\n%s", e)
	}
	sc.Must(t, "del", "s3://"+bucket+"/big.bin")
	sc.Must(t, "rb", "s3://"+bucket)
	if out := sc.Must(t, "ls"); strings.Contains(out, "s3://"+bucket) {
		t.Fatalf("bucket still listed after s3cmd rb:\n%s", out)
	}
}

func mustSameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes (sha256 %.12s), want %d bytes (sha256 %.12s)",
			path, len(got), sha256Hex(got), len(want), sha256Hex(want))
	}
}
