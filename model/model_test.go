package model

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

type singlePlacement struct{ n table.Node }

func (p singlePlacement) Nodes(table.PartitionHash) []table.Node { return []table.Node{p.n} }
func (p singlePlacement) ReadQuorum() int                        { return 1 }
func (p singlePlacement) WriteQuorum() int                       { return 1 }

func put(t testing.TB, m *Model, bucket, key string, data []byte) ObjectVersion {
	t.Helper()
	sum := md5.Sum(data)
	v, err := m.PutObject(context.Background(), PutObjectInput{BucketID: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)),
		Digest: func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// drain runs the background queue until it is empty.
func (e testEnv) drain(t testing.TB) {
	t.Helper()
	for i := 0; i < 100 && e.local.Queue().Len() > 0; i++ {
		if _, err := e.local.Queue().RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.local.Queue().Len(); n > 0 {
		t.Fatalf("queue still holds %d tasks", n)
	}
}

func TestOverwriteReleasesBlocks(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	first := bytes.Repeat([]byte{1}, 200<<10)  // 4 blocks of 64 KiB (3 distinct: dedup)
	second := bytes.Repeat([]byte{2}, 100<<10) // 2 blocks
	put(t, e.m, "b", "k", first)
	e.drain(t)
	n, size, _ := e.refs.Stats()
	if n != 2 || size != 64<<10+(200<<10-3*(64<<10)) {
		t.Fatalf("after first put: %d referenced blocks of %d bytes, want 2 (a full 64 KiB block shared 3 times, and the tail)", n, size)
	}
	h := storage.HashOf(first[:64<<10])
	if c, _ := e.refs.Count(h); c != 3 {
		t.Fatalf("shared block count = %d, want 3", c)
	}
	v := put(t, e.m, "b", "k", second)
	e.drain(t)
	if c, _ := e.refs.Count(h); c != 0 {
		t.Fatalf("old block count after overwrite = %d, want 0", c)
	}
	// The collector deletes the old blocks (idle for long enough) only.
	later := time.Now().Add(time.Hour)
	deleted, err := e.refs.Collect(ctx, later, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 2 {
		t.Fatalf("collected %d blocks, want 2", deleted)
	}
	r, err := e.m.Open(ctx, v, 0, v.Meta.Size)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, second) {
		t.Fatalf("new version unreadable after collection: %v", err)
	}
	if err := e.m.DeleteObject(ctx, "b", "k"); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if c, _ := e.refs.Count(storage.HashOf(second[:64<<10])); c != 0 {
		t.Fatalf("count after delete = %d", c)
	}
	if _, err := e.m.HeadObject(ctx, "b", "k"); err == nil {
		t.Fatal("deleted object still visible")
	}
}

func TestListObjects(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	keys := []string{"a", "b/1", "b/2", "b/c/3", "c", "d/1", "é/x"}
	for _, k := range keys {
		put(t, e.m, "bk", k, []byte(k))
	}
	type page struct {
		objs, prefixes string
		truncated      bool
	}
	cases := []struct {
		in   ListInput
		want page
	}{
		{ListInput{MaxKeys: 1000}, page{"[a b/1 b/2 b/c/3 c d/1 é/x]", "[]", false}},
		{ListInput{Delimiter: "/", MaxKeys: 1000}, page{"[a c]", "[b/ d/ é/]", false}},
		{ListInput{Delimiter: "/", MaxKeys: 2}, page{"[a]", "[b/]", true}},
		{ListInput{Delimiter: "/", StartAfter: "b/", MaxKeys: 2}, page{"[c]", "[d/]", true}},
		{ListInput{Delimiter: "/", StartAfter: "b/1", MaxKeys: 10}, page{"[c]", "[d/ é/]", false}},
		{ListInput{Prefix: "b/", Delimiter: "/", MaxKeys: 10}, page{"[b/1 b/2]", "[b/c/]", false}},
		{ListInput{Prefix: "b/", MaxKeys: 2}, page{"[b/1 b/2]", "[]", true}},
		{ListInput{Prefix: "zz", MaxKeys: 10}, page{"[]", "[]", false}},
		{ListInput{MaxKeys: 0}, page{"[]", "[]", false}},
	}
	for _, c := range cases {
		c.in.BucketID = "bk"
		out, err := e.m.ListObjects(ctx, c.in)
		if err != nil {
			t.Fatal(err)
		}
		var objs []string
		for _, o := range out.Objects {
			objs = append(objs, o.Key)
		}
		got := page{fmt.Sprint(orNil(objs)), fmt.Sprint(orNil(out.Prefixes)), out.IsTruncated}
		if got != c.want {
			t.Errorf("%+v: got %+v, want %+v", c.in, got, c.want)
		}
	}
}

func orNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestAbortStalePuts(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	b, err := e.m.CreateBucket(ctx, "stale", "")
	if err != nil {
		t.Fatal(err)
	}
	// A PUT whose writer died after its first block: its version stays
	// "uploading" and its block referenced.
	failing := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte{9}, 100<<10)), errReader{})
	_, err = e.m.PutObject(ctx, PutObjectInput{BucketID: b.ID, Key: "k", Body: failing, Size: -1,
		Digest: func() (string, map[string]string) { return "", nil }})
	if err == nil {
		t.Fatal("put with a failing body succeeded")
	}
	// The failed PUT aborted itself; simulate a crash instead by writing
	// an uploading version directly.
	v := ObjectVersion{UUID: NewUUID(), TS: uint64(time.Now().Add(-48 * time.Hour).UnixMilli()), State: StateUploading}
	if err := e.m.objects.Insert(ctx, Object{Bucket: b.ID, Key: "crashed", Versions: []ObjectVersion{v}}); err != nil {
		t.Fatal(err)
	}
	n, err := e.m.AbortStalePuts(ctx, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("AbortStalePuts = %d, %v; want 1", n, err)
	}
	if n, _ := e.m.AbortStalePuts(ctx, time.Now()); n != 0 {
		t.Fatalf("second sweep aborted %d", n)
	}
	e.drain(t)
	if c, _ := e.refs.Count(storage.HashOf(bytes.Repeat([]byte{9}, 64<<10))); c != 0 {
		t.Fatalf("block of the failed PUT still referenced %d times", c)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("client went away") }

// TestSingleBlockObject checks the one-block path: the block is listed in
// the version, counted once the queue ran, released when overwritten, and
// readable in ranges.
func TestSingleBlockObject(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	data := make([]byte, 40<<10) // above the inline threshold, below a 64 KiB block
	for i := range data {
		data[i] = byte(i * 7)
	}
	v := put(t, e.m, "b", "one", data)
	if len(v.Data.Parts) != 1 || len(v.Data.Parts[0].Blocks) != 1 {
		t.Fatalf("version data %+v: want one part listing one block", v.Data)
	}
	e.drain(t)
	h := storage.HashOf(data)
	if c, _ := e.refs.Count(h); c != 1 {
		t.Fatalf("block count = %d, want 1", c)
	}
	r, err := e.m.Open(ctx, v, 1000, 5000)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data[1000:6000]) {
		t.Fatalf("range read: %v", err)
	}
	put(t, e.m, "b", "one", []byte("small now"))
	e.drain(t)
	if c, _ := e.refs.Count(h); c != 0 {
		t.Fatalf("block count after overwrite = %d, want 0", c)
	}
}

// uploadParts uploads n one-byte parts concurrently and returns the list
// to complete with.
func uploadParts(t testing.TB, m *Model, bucket, key, upload string, n int) []CompletedPart {
	t.Helper()
	list := make([]CompletedPart, n)
	errs := make(chan error, n)
	next := make(chan int)
	for w := 0; w < 32; w++ {
		go func() {
			for i := range next {
				b := []byte{byte(i)}
				sum := md5.Sum(b)
				ref, err := m.PutPart(context.Background(), PutPartInput{BucketID: bucket, Key: key, UploadID: upload, Number: i + 1,
					Body: bytes.NewReader(b), Size: 1, Digest: func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil }})
				list[i] = CompletedPart{Number: i + 1, ETag: ref.ETag}
				errs <- err
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	return list
}

// TestManyPartsUpload completes an upload of 3,000 parts (each its own
// entry; completion reads them once) and reads it back.
func TestManyPartsUpload(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	up, err := e.m.CreateUpload(ctx, "b", "many", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	list := uploadParts(t, e.m, "b", "many", up, n)
	v, err := e.m.CompleteUpload(ctx, "b", "many", up, list, WriteConditions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Meta.Size != n || !strings.HasSuffix(v.Meta.ETag, "-3000") {
		t.Fatalf("completed %d bytes, etag %s", v.Meta.Size, v.Meta.ETag)
	}
	r, err := e.m.Open(ctx, v, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || len(got) != n {
		t.Fatalf("read %d bytes: %v", len(got), err)
	}
	for i, b := range got {
		if b != byte(i) {
			t.Fatalf("byte %d = %d", i, b)
		}
	}
}

// BenchmarkCompleteUpload reports the cost of completing uploads of
// growing part counts: per part, it stays flat (no quadratic work).
func BenchmarkCompleteUpload(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			e := newTestModel(b)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				key := fmt.Sprint("k", i)
				up, err := e.m.CreateUpload(ctx, "b", key, nil, "")
				if err != nil {
					b.Fatal(err)
				}
				list := uploadParts(b, e.m, "b", key, up, n)
				b.StartTimer()
				if _, err := e.m.CompleteUpload(ctx, "b", key, up, list, WriteConditions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/part")
		})
	}
}

// TestOverwrittenObjectStaysSmall: overwriting one key many times leaves
// one small marker per old version (no metadata, no inline bytes), so its
// entry grows slowly until markers are garbage collected.
func TestOverwrittenObjectStaysSmall(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 2000)
	for i := 0; i < 50; i++ {
		put(t, e.m, "b", "hot", append([]byte(fmt.Sprint("version ", i, " ")), body...))
	}
	o, err := e.m.getObject(ctx, "b", "hot")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := encodeEntry(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Versions) != 50 || len(enc) > len(body)+50*100 {
		t.Fatalf("%d versions in %d bytes after 50 overwrites of %d bytes: markers too big", len(o.Versions), len(enc), len(body))
	}
	v, err := e.m.HeadObject(ctx, "b", "hot")
	if err != nil || !strings.HasPrefix(string(v.Data.Inline), "version 49 ") {
		t.Fatalf("current version %.12q, %v", v.Data.Inline, err)
	}
}

// TestExactBlockSizeObject: an object of exactly one block takes the
// one-block path; one byte more takes the block list path; both read back.
func TestExactBlockSizeObject(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	for _, size := range []int{64 << 10, 64<<10 + 1} {
		data := bytes.Repeat([]byte{byte(size)}, size)
		v := put(t, e.m, "b", fmt.Sprint(size), data)
		oneBlock := len(v.Data.Parts) == 1 && v.Data.Parts[0].Blocks != nil
		if oneBlock != (size == 64<<10) {
			t.Fatalf("size %d: one-block path = %v", size, oneBlock)
		}
		r, err := e.m.Open(ctx, v, 0, v.Meta.Size)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: read back %d bytes, %v", size, len(got), err)
		}
	}
}

// TestCachesSeeLocalWritesAtOnce: a key or bucket read (and cached) just
// before a change made through this node is read changed right after it.
func TestCachesSeeLocalWritesAtOnce(t *testing.T) {
	e := newTestModel(t)
	ctx := context.Background()
	k, err := e.m.CreateKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.m.GetKey(ctx, k.ID); got.AllowCreateBucket.Value {
		t.Fatal("new key may create buckets")
	}
	allow := true
	if _, err := e.m.UpdateKey(ctx, k.ID, nil, &allow); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.m.GetKey(ctx, k.ID); !got.AllowCreateBucket.Value {
		t.Fatal("cached key does not show the new right")
	}
	b, err := e.m.CreateBucket(ctx, "cached", k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.m.ResolveBucket(ctx, "cached"); got.Website.Value != nil {
		t.Fatal("new bucket has a website")
	}
	if err := e.m.SetWebsite(ctx, b.ID, &WebsiteConfig{IndexDocument: "index.html"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.m.ResolveBucket(ctx, "cached"); got.Website.Value == nil {
		t.Fatal("cached bucket does not show its website")
	}
	if err := e.m.DeleteKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.GetKey(ctx, k.ID); err == nil {
		t.Fatal("deleted key still found")
	}
}
