package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestRclone syncs a tree with rclone (including multipart uploads), checks
// it with `rclone check` (hashes) and `rclone check --download` (bytes), then
// changes the remote behind rclone's back and requires check to fail.
func TestRclone(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "rclone")
	rc := n.Rclone(t, k)
	const bucket = "rclone-bucket"
	remote := "gw:" + bucket + "/tree"

	src := filepath.Join(t.TempDir(), "src")
	files := sampleTree(12 << 20)
	writeTree(t, src, files)

	rc.Must(t, "mkdir", "gw:"+bucket)
	// 5 MiB chunks from 5 MiB up: big.bin goes up as a 3-part multipart upload.
	rc.Must(t, "sync", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", src, remote)

	if _, e, err := rc.Run("check", src, remote); err != nil {
		t.Fatalf("rclone check after sync: %v\n%s", err, clip(e))
	}
	if _, e, err := rc.Run("check", "--download", src, remote); err != nil {
		t.Fatalf("rclone check --download after sync: %v\n%s", err, clip(e))
	}
	down := filepath.Join(t.TempDir(), "down")
	rc.Must(t, "copy", remote, down)
	compareTrees(t, files, readTree(t, down))

	// Listing through rclone sees every file once.
	lsf := rc.Must(t, "lsf", "-R", "--files-only", remote)
	got := strings.Split(strings.TrimSpace(lsf), "\n")
	slices.Sort(got)
	if want := sortedKeys(files); !slices.Equal(got, want) {
		t.Fatalf("rclone lsf -R:\n got: %q\nwant: %q", got, want)
	}

	// Change one object behind rclone's back, keeping its size, so only the
	// hash comparison can notice; and add an object that is not local.
	const changed = "a/b/sibling.dat"
	evil := bytes.Clone(files[changed])
	evil[len(evil)/2] ^= 0xff
	cl := n.S3(k)
	ctx := context.Background()
	for key, body := range map[string][]byte{"tree/" + changed: evil, "tree/remote-only.txt": []byte("extra\n")} {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
	}
	for _, args := range [][]string{{"check", src, remote}, {"check", "--download", src, remote}} {
		o, e, err := rc.Run(args...)
		if err == nil {
			t.Errorf("rclone %s passed after the remote was changed; output:\n%s%s", strings.Join(args[:len(args)-2], " "), o, e)
			continue
		}
		all := o + e
		for _, want := range []string{changed, "remote-only.txt"} {
			if !strings.Contains(all, want) {
				t.Errorf("rclone %s failed but does not name %s:\n%s", strings.Join(args[:len(args)-2], " "), want, clip(all))
			}
		}
	}
}
