package e2e

// Object tags given on write are stored and returned (issue 10); they can
// be changed afterwards (PutObjectTagging, DeleteObjectTagging), also
// while other writes race them, and buckets have tags of their own.

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (e *sdkEnv) tags(t *testing.T, bucket, key string) map[string]string {
	t.Helper()
	out, err := e.c.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObjectTagging %s: %v", key, err)
	}
	m := map[string]string{}
	for _, tg := range out.TagSet {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func TestObjectTaggingOnWrite(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "tagging")
	if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("t"), Body: bytes.NewReader([]byte("x")),
		Tagging: aws.String("project=blue&team=a%20b")}); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(t, bucket, "t"); len(got) != 2 || got["project"] != "blue" || got["team"] != "a b" {
		t.Fatalf("tags %v", got)
	}
	head, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("HEAD tag count %d, want 2", aws.ToInt32(head.TagCount))
	}
	if _, ok := head.Metadata["garage-tagging"]; ok || len(head.Metadata) != 0 {
		t.Fatalf("tags leak as metadata: %v", head.Metadata)
	}

	t.Run("CopyKeepsOrReplaces", func(t *testing.T) {
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("c1"), CopySource: aws.String(bucket + "/t")}); err != nil {
			t.Fatal(err)
		}
		if got := e.tags(t, bucket, "c1"); len(got) != 2 {
			t.Fatalf("copied tags %v", got)
		}
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("c2"), CopySource: aws.String(bucket + "/t"),
			TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("only=one")}); err != nil {
			t.Fatal(err)
		}
		if got := e.tags(t, bucket, "c2"); len(got) != 1 || got["only"] != "one" {
			t.Fatalf("replaced tags %v", got)
		}
	})
	t.Run("Multipart", func(t *testing.T) {
		up, err := e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), Tagging: aws.String("k=v")})
		if err != nil {
			t.Fatal(err)
		}
		part, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("p"))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
			t.Fatal(err)
		}
		if got := e.tags(t, bucket, "mp"); got["k"] != "v" {
			t.Fatalf("multipart tags %v", got)
		}
	})
	t.Run("InvalidTagsRefused", func(t *testing.T) {
		for _, tg := range []string{"a=1&a=2", "k1=1&k2=2&k3=3&k4=4&k5=5&k6=6&k7=7&k8=8&k9=9&k10=10&k11=11", "=empty-key", "k=a%3Bb", "a%2Ab=v"} {
			_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"), Body: bytes.NewReader([]byte("x")), Tagging: aws.String(tg)})
			wantAPIErr(t, err, "InvalidTag", 400)
			e.wantNoObject(t, bucket, "bad")
		}
	})
	t.Run("ChangedByPutObjectTagging", func(t *testing.T) {
		if _, err := e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("t"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}}}); err != nil {
			t.Fatal(err)
		}
		if got := e.tags(t, bucket, "t"); len(got) != 1 || got["x"] != "y" {
			t.Fatalf("tags after PutObjectTagging: %v", got)
		}
		e.wantObject(t, bucket, "t", []byte("x"))
	})
}

func tagSet(kv ...string) *types.Tagging {
	tg := &types.Tagging{TagSet: []types.Tag{}}
	for i := 0; i+1 < len(kv); i += 2 {
		tg.TagSet = append(tg.TagSet, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tg
}

func (e *sdkEnv) tagCount(t *testing.T, bucket, key string) int32 {
	t.Helper()
	head, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	return aws.ToInt32(head.TagCount)
}

func TestObjectTaggingChange(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "tagging-change")
	if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("k"), Body: bytes.NewReader([]byte("data")),
		Tagging: aws.String("a=1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("k"), Tagging: tagSet("b", "2", "c", "3 ü")}); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(t, bucket, "k"); len(got) != 2 || got["b"] != "2" || got["c"] != "3 ü" {
		t.Fatalf("tags after PutObjectTagging: %v", got)
	}
	if n := e.tagCount(t, bucket, "k"); n != 2 {
		t.Fatalf("x-amz-tagging-count %d after PutObjectTagging, want 2", n)
	}
	e.wantObject(t, bucket, "k", []byte("data"))

	// A copy takes the changed tags.
	if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/k")}); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(t, bucket, "copy"); len(got) != 2 || got["b"] != "2" {
		t.Fatalf("tags of the copy: %v", got)
	}

	if _, err := e.c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &bucket, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(t, bucket, "k"); len(got) != 0 {
		t.Fatalf("tags after DeleteObjectTagging: %v", got)
	}
	if n := e.tagCount(t, bucket, "k"); n != 0 {
		t.Fatalf("x-amz-tagging-count %d after DeleteObjectTagging, want none", n)
	}
	// A new PUT of the key brings its own tags, not the changed ones.
	if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("k"), Body: bytes.NewReader([]byte("new")),
		Tagging: aws.String("fresh=yes")}); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(t, bucket, "k"); len(got) != 1 || got["fresh"] != "yes" {
		t.Fatalf("tags of a new version: %v", got)
	}

	_, err := e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("missing"), Tagging: tagSet("a", "1")})
	wantAPIErr(t, err, "NoSuchKey", 404)
	_, err = e.c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &bucket, Key: aws.String("missing")})
	wantAPIErr(t, err, "NoSuchKey", 404)

	t.Run("InvalidRefused", func(t *testing.T) {
		eleven := []string{}
		for i := 0; i < 11; i++ {
			eleven = append(eleven, fmt.Sprintf("k%d", i), "v")
		}
		astral := strings.Repeat("𠀀", 65) // a CJK letter outside the BMP: 130 UTF-16 code units, 65 runes
		for name, tg := range map[string]*types.Tagging{
			"eleven tags":     tagSet(eleven...),
			"duplicate key":   tagSet("a", "1", "a", "2"),
			"aws: prefix":     tagSet("aws:cloudformation", "x"),
			"key too long":    tagSet(strings.Repeat("k", 129), "v"),
			"value too long":  tagSet("k", strings.Repeat("v", 257)),
			"empty key":       tagSet("", "v"),
			"UTF-16 key long": tagSet(astral, "v"),
			"key character":   tagSet("a;b", "v"),
			"value character": tagSet("k", "tab\there"),
			"symbol key":      tagSet("😀", "v"),
		} {
			_, err := e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("k"), Tagging: tg})
			if err == nil {
				t.Fatalf("%s: accepted", name)
			}
			wantAPIErr(t, err, "InvalidTag", 400)
		}
		// At the limits: accepted.
		ten := eleven[:20]
		if _, err := e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("k"),
			Tagging: tagSet(append(ten[:18:18], strings.Repeat("𠀀", 64), strings.Repeat("v", 256))...)}); err != nil {
			t.Fatalf("10 tags, 128-unit key, 256-unit value: %v", err)
		}
		if got := e.tags(t, bucket, "k"); len(got) != 10 || got["fresh"] != "" {
			t.Fatalf("refused taggings changed the tags: %v", got)
		}
	})
	t.Run("MalformedAndBadDigest", func(t *testing.T) {
		u := e.s3URL() + "/" + bucket + "/k?tagging"
		for _, body := range []string{"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>", "<Tagging></Tagging>", "<Other/>", "not xml"} {
			wantHTTPErr(t, sdkSignedDo(t, e.key, sdkReq(t, ctx, "PUT", u, nil), []byte(body), time.Now()), "MalformedXML", 400)
		}
		good := []byte("<Tagging><TagSet><Tag><Key>md5</Key><Value>checked</Value></Tag></TagSet></Tagging>")
		req := sdkReq(t, ctx, "PUT", u, nil)
		req.Header.Set("Content-MD5", sdkMD5B64([]byte("something else")))
		wantHTTPErr(t, sdkSignedDo(t, e.key, req, good, time.Now()), "BadDigest", 400)
		if got := e.tags(t, bucket, "k"); got["md5"] != "" {
			t.Fatalf("a tagging with a wrong Content-MD5 was stored: %v", got)
		}
		req = sdkReq(t, ctx, "PUT", u, nil)
		req.Header.Set("Content-MD5", sdkMD5B64(good))
		resp := sdkSignedDo(t, e.key, req, good, time.Now())
		if b := sdkReadBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("tagging with the right Content-MD5: HTTP %d %s", resp.StatusCode, b)
		}
		if got := e.tags(t, bucket, "k"); len(got) != 1 || got["md5"] != "checked" {
			t.Fatalf("tags %v", got)
		}
	})
}

// TestObjectTaggingConcurrent: two PutObjectTagging of one object at once
// both succeed and every replica ends with the same one of the two sets;
// a tagging racing a PUT of the key never undoes the PUT.
func TestObjectTaggingConcurrent(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "tagging-race")
	for round := 0; round < 10; round++ {
		key := fmt.Sprintf("two-taggings-%d", round)
		e.put(t, e.c, bucket, key, []byte("v"))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: &key, Tagging: tagSet("writer", fmt.Sprint(i))})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: PutObjectTagging %d: %v", round, i, err)
			}
		}
		first := e.tags(t, bucket, key)
		if len(first) != 1 || (first["writer"] != "0" && first["writer"] != "1") {
			t.Fatalf("round %d: tags %v, want one writer's set", round, first)
		}
		// Every node answers the same set (reads go to each node in turn).
		for range e.nodes {
			if got := e.tags(t, bucket, key); got["writer"] != first["writer"] {
				t.Fatalf("round %d: tags %v then %v", round, first, got)
			}
		}
		e.wantObject(t, bucket, key, []byte("v"))
	}
	for round := 0; round < 10; round++ {
		key := fmt.Sprintf("tagging-vs-put-%d", round)
		e.put(t, e.c, bucket, key, []byte("old"))
		var wg sync.WaitGroup
		var tagErr, putErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, tagErr = e.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: &key, Tagging: tagSet("by", "tagging")})
		}()
		go func() {
			defer wg.Done()
			_, putErr = e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte("new")), Tagging: aws.String("by=put")})
		}()
		wg.Wait()
		if tagErr != nil || putErr != nil {
			t.Fatalf("round %d: tagging %v, put %v", round, tagErr, putErr)
		}
		e.wantObject(t, bucket, key, []byte("new"))
		if got := e.tags(t, bucket, key); len(got) != 1 || (got["by"] != "put" && got["by"] != "tagging") {
			t.Fatalf("round %d: tags %v", round, got)
		}
	}
}

func TestBucketTagging(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "bucket-tags")
	_, err := e.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket})
	wantAPIErr(t, err, "NoSuchTagSet", 404)
	if _, err := e.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: tagSet("team", "web", "cost", "12")}); err != nil {
		t.Fatal(err)
	}
	out, err := e.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TagSet) != 2 || aws.ToString(out.TagSet[0].Key) != "cost" || aws.ToString(out.TagSet[1].Value) != "web" {
		t.Fatalf("bucket tags %+v", out.TagSet)
	}
	fifty := []string{}
	for i := 0; i < 51; i++ {
		fifty = append(fifty, fmt.Sprintf("k%d", i), "v")
	}
	_, err = e.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: tagSet(fifty...)})
	wantAPIErr(t, err, "InvalidTag", 400)
	if _, err := e.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: tagSet(fifty[:100]...)}); err != nil {
		t.Fatalf("50 bucket tags: %v", err)
	}
	_, err = e.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: tagSet("aws:x", "v")})
	wantAPIErr(t, err, "InvalidTag", 400)
	_, err = e.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: tagSet("k", "a,b")})
	wantAPIErr(t, err, "InvalidTag", 400)
	// Every character AWS allows: Unicode letters and numbers, spaces and + - = . _ : / @.
	allowed := tagSet("Équipe Süd", "日本 ٣ /a/b@c:d+e=f.g_h-i")
	if _, err := e.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: allowed}); err != nil {
		t.Fatalf("allowed characters: %v", err)
	}
	if out, err := e.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket}); err != nil || len(out.TagSet) != 1 ||
		aws.ToString(out.TagSet[0].Key) != "Équipe Süd" || aws.ToString(out.TagSet[0].Value) != "日本 ٣ /a/b@c:d+e=f.g_h-i" {
		t.Fatalf("allowed characters read back: %+v, %v", out, err)
	}
	if _, err := e.c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket})
	wantAPIErr(t, err, "NoSuchTagSet", 404)
	// Another key without owner rights may not change them.
	other := e.keyWithoutCreate(t, "tag-reader")
	e.allow(t, bucket, other, "--read", "--write")
	_, err = e.client(other).PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: tagSet("a", "b")})
	wantAPIErr(t, err, "AccessDenied", 403)
}

// TestTaggingAWSCLI: aws s3api put/get/delete-object-tagging and the
// bucket tagging commands.
func TestTaggingAWSCLI(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "cli-tags")
	const bucket = "cli-tags"
	n.CreateBucket(t, bucket, k)
	cli := n.AWS(t, k)
	if _, err := n.S3(k).PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	cli.Must(t, "s3api", "put-object-tagging", "--bucket", bucket, "--key", "obj", "--tagging", "TagSet=[{Key=env,Value=prod},{Key=owner,Value=ops}]")
	out := cli.Must(t, "s3api", "get-object-tagging", "--bucket", bucket, "--key", "obj", "--output", "text")
	if !strings.Contains(out, "env\tprod") && !(strings.Contains(out, "env") && strings.Contains(out, "prod") && strings.Contains(out, "ops")) {
		t.Fatalf("get-object-tagging:\n%s", out)
	}
	if out := cli.Must(t, "s3api", "head-object", "--bucket", bucket, "--key", "obj"); !strings.Contains(out, `"TagCount": 2`) {
		t.Fatalf("head-object shows no TagCount 2:\n%s", out)
	}
	cli.Must(t, "s3api", "delete-object-tagging", "--bucket", bucket, "--key", "obj")
	if out := cli.Must(t, "s3api", "get-object-tagging", "--bucket", bucket, "--key", "obj"); strings.Contains(out, "env") {
		t.Fatalf("tags after delete-object-tagging:\n%s", out)
	}
	if _, e, err := cli.Run("s3api", "put-object-tagging", "--bucket", bucket, "--key", "obj", "--tagging", "TagSet=[{Key=aws:x,Value=y}]"); err == nil || !strings.Contains(e, "InvalidTag") {
		t.Fatalf("aws: prefix: err %v\n%s", err, e)
	}
	cli.Must(t, "s3api", "put-bucket-tagging", "--bucket", bucket, "--tagging", "TagSet=[{Key=team,Value=infra}]")
	if out := cli.Must(t, "s3api", "get-bucket-tagging", "--bucket", bucket); !strings.Contains(out, "infra") {
		t.Fatalf("get-bucket-tagging:\n%s", out)
	}
	cli.Must(t, "s3api", "delete-bucket-tagging", "--bucket", bucket)
	if _, e, err := cli.Run("s3api", "get-bucket-tagging", "--bucket", bucket); err == nil || !strings.Contains(e, "NoSuchTagSet") {
		t.Fatalf("get-bucket-tagging after delete: err %v\n%s", err, e)
	}
}
