package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sys/unix"
)

// blockCheckAttr is the extended attribute in which the node keeps the
// CRC-32C check record of a block file it wrote (storage/blockcheck.go).
const blockCheckAttr = "user.garageweb.check"

func blockCheckRecord(t *testing.T, path string) ([]byte, bool) {
	t.Helper()
	buf := make([]byte, 64)
	n, err := unix.Getxattr(path, blockCheckAttr, buf)
	if errors.Is(err, unix.ENODATA) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("getxattr %s: %v", path, err)
	}
	return buf[:n], true
}

// TestBlockCheckRecord: a node keeps a check record with every block file
// it writes; a file without one (as written by an older version) is
// served after a SHA-256 check and gets its record; a flipped byte in a
// file with a record is never served.
func TestBlockCheckRecord(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "blockcheck")
	cl := n.S3(k)
	ctx := context.Background()
	const bucket = "blockcheck"
	const blockSize = 1 << 20
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	body := randBytes(801, 2*blockSize)
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	first := blockPath(n.DataDir, body[:blockSize])
	if err := unix.Setxattr(first, "user.garageweb.probe", []byte{1}, 0); err != nil {
		t.Skipf("no user extended attributes on the data dir's file system: %v", err)
	}
	rec, ok := blockCheckRecord(t, first)
	if !ok {
		t.Fatalf("block file %s has no %s", first, blockCheckAttr)
	}

	// Older file: no record. Served (hashed), and given its record back.
	if err := unix.Removexattr(first, blockCheckAttr); err != nil {
		t.Fatal(err)
	}
	n.Restart(t) // no cached copy
	if got := getAll(t, cl, bucket, "obj"); !bytes.Equal(got, body) {
		t.Fatalf("object with a block file without record reads back wrong: %d bytes", len(got))
	}
	if again, ok := blockCheckRecord(t, first); !ok || !bytes.Equal(again, rec) {
		t.Fatalf("after a hashed read the block file's record is %x (present %v), want %x", again, ok, rec)
	}

	// A flipped byte in a file with its record: never served.
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	data[12345] ^= 0x08
	if err := os.WriteFile(first, data, 0o600); err != nil { // same inode: the record stays
		t.Fatal(err)
	}
	if _, ok := blockCheckRecord(t, first); !ok {
		t.Fatal("rewriting the file in place dropped its record; the test no longer tests the CRC path")
	}
	n.Restart(t)
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	if err == nil {
		var got bytes.Buffer
		_, rerr := got.ReadFrom(out.Body)
		out.Body.Close()
		if rerr == nil && bytes.Equal(got.Bytes(), body) {
			t.Fatal("GET served the original bytes: the corrupted block file was not read")
		}
		if rerr == nil && got.Len() == len(body) {
			t.Fatal("GET served a corrupted block as a complete, successful response")
		}
	}
	t.Logf("GET of the object with a flipped byte: %v", err)
}
