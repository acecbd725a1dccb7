package e2e

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// listFixture is the key set of TestSDKList, in S3 (byte) order.
var listFixture = []string{
	"a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "c d/e.txt", "d+e%f.txt", "z", "é/ü.txt",
}

// TestSDKList covers ListObjects (v1) and ListObjectsV2 parameters and
// their client-triggered errors.
func TestSDKList(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "listing")
	objs := map[string][]byte{}
	for _, k := range listFixture {
		objs[k] = []byte("content of " + k)
	}
	e.putMany(t, b, objs)

	v2 := func(t *testing.T, in s3.ListObjectsV2Input) *s3.ListObjectsV2Output {
		t.Helper()
		in.Bucket = &b
		out, err := e.c.ListObjectsV2(ctx, &in)
		if err != nil {
			t.Fatalf("ListObjectsV2 %+v: %v", in, err)
		}
		return out
	}
	v1 := func(t *testing.T, in s3.ListObjectsInput) *s3.ListObjectsOutput {
		t.Helper()
		in.Bucket = &b
		out, err := e.c.ListObjects(ctx, &in)
		if err != nil {
			t.Fatalf("ListObjects %+v: %v", in, err)
		}
		return out
	}

	t.Run("V2All", func(t *testing.T) {
		out := v2(t, s3.ListObjectsV2Input{})
		wantStrings(t, "keys", objectKeys(out.Contents), listFixture)
		if aws.ToInt32(out.KeyCount) != int32(len(listFixture)) || aws.ToBool(out.IsTruncated) {
			t.Fatalf("KeyCount %d IsTruncated %v", aws.ToInt32(out.KeyCount), aws.ToBool(out.IsTruncated))
		}
		for _, o := range out.Contents {
			k := aws.ToString(o.Key)
			if aws.ToInt64(o.Size) != int64(len(objs[k])) || aws.ToString(o.ETag) != sdkQuote(sdkMD5Hex(objs[k])) || o.LastModified == nil {
				t.Errorf("%s: size %d etag %s lastmod %v", k, aws.ToInt64(o.Size), aws.ToString(o.ETag), o.LastModified)
			}
		}
	})

	t.Run("V2Prefix", func(t *testing.T) {
		wantStrings(t, "prefix b/", objectKeys(v2(t, s3.ListObjectsV2Input{Prefix: aws.String("b/")}).Contents), []string{"b/1.txt", "b/2.txt", "b/c/3.txt"})
		wantStrings(t, "prefix nothing", objectKeys(v2(t, s3.ListObjectsV2Input{Prefix: aws.String("nothing")}).Contents), nil)
	})

	t.Run("V2Delimiter", func(t *testing.T) {
		out := v2(t, s3.ListObjectsV2Input{Delimiter: aws.String("/")})
		wantStrings(t, "keys", objectKeys(out.Contents), []string{"a.txt", "d+e%f.txt", "z"})
		wantStrings(t, "prefixes", commonPrefixes(out.CommonPrefixes), []string{"b/", "c d/", "é/"})
		if aws.ToInt32(out.KeyCount) != 6 {
			t.Errorf("KeyCount %d, want 6 (keys and common prefixes)", aws.ToInt32(out.KeyCount))
		}
		out = v2(t, s3.ListObjectsV2Input{Delimiter: aws.String("/"), Prefix: aws.String("b/")})
		wantStrings(t, "keys under b/", objectKeys(out.Contents), []string{"b/1.txt", "b/2.txt"})
		wantStrings(t, "prefixes under b/", commonPrefixes(out.CommonPrefixes), []string{"b/c/"})
		// A delimiter other than "/".
		out = v2(t, s3.ListObjectsV2Input{Delimiter: aws.String(".")})
		wantStrings(t, "keys with delimiter .", objectKeys(out.Contents), []string{"z"})
		wantStrings(t, "prefixes with delimiter .", commonPrefixes(out.CommonPrefixes), []string{"a.", "b/1.", "b/2.", "b/c/3.", "c d/e.", "d+e%f.", "é/ü."})
	})

	t.Run("V2MaxKeysAndContinuation", func(t *testing.T) {
		var got []string
		var token *string
		for page := 0; ; page++ {
			if page > len(listFixture) {
				t.Fatal("paging does not end")
			}
			out := v2(t, s3.ListObjectsV2Input{MaxKeys: aws.Int32(3), ContinuationToken: token})
			if len(out.Contents) > 3 || aws.ToInt32(out.MaxKeys) != 3 || aws.ToInt32(out.KeyCount) != int32(len(out.Contents)) {
				t.Fatalf("page %d: %d keys, MaxKeys %d, KeyCount %d", page, len(out.Contents), aws.ToInt32(out.MaxKeys), aws.ToInt32(out.KeyCount))
			}
			if token != nil && aws.ToString(out.ContinuationToken) != aws.ToString(token) {
				t.Errorf("page %d: ContinuationToken echoed as %q, sent %q", page, aws.ToString(out.ContinuationToken), aws.ToString(token))
			}
			got = append(got, objectKeys(out.Contents)...)
			if !aws.ToBool(out.IsTruncated) {
				if out.NextContinuationToken != nil {
					t.Errorf("last page has NextContinuationToken %q", aws.ToString(out.NextContinuationToken))
				}
				break
			}
			if out.NextContinuationToken == nil {
				t.Fatalf("page %d truncated without NextContinuationToken", page)
			}
			token = out.NextContinuationToken
		}
		wantStrings(t, "paged keys", got, listFixture)
	})

	t.Run("V2MaxKeysWithDelimiter", func(t *testing.T) {
		// Keys and common prefixes share max-keys, in one merged order.
		var keys, prefixes []string
		var token *string
		for page := 0; ; page++ {
			if page > 10 {
				t.Fatal("paging does not end")
			}
			out := v2(t, s3.ListObjectsV2Input{MaxKeys: aws.Int32(2), Delimiter: aws.String("/"), ContinuationToken: token})
			if n := len(out.Contents) + len(out.CommonPrefixes); n > 2 {
				t.Fatalf("page %d: %d entries, want at most 2", page, n)
			}
			keys = append(keys, objectKeys(out.Contents)...)
			prefixes = append(prefixes, commonPrefixes(out.CommonPrefixes)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			token = out.NextContinuationToken
		}
		wantStrings(t, "keys", keys, []string{"a.txt", "d+e%f.txt", "z"})
		wantStrings(t, "prefixes", prefixes, []string{"b/", "c d/", "é/"})
	})

	t.Run("V2StartAfter", func(t *testing.T) {
		out := v2(t, s3.ListObjectsV2Input{StartAfter: aws.String("b/2.txt")})
		wantStrings(t, "start-after b/2.txt", objectKeys(out.Contents), listFixture[3:])
		out = v2(t, s3.ListObjectsV2Input{StartAfter: aws.String("b/1")}) // not a key
		wantStrings(t, "start-after b/1", objectKeys(out.Contents), listFixture[1:])
		if aws.ToString(out.StartAfter) != "b/1" {
			t.Errorf("StartAfter echoed as %q", aws.ToString(out.StartAfter))
		}
		out = v2(t, s3.ListObjectsV2Input{StartAfter: aws.String("ö")})
		wantStrings(t, "start-after the end", objectKeys(out.Contents), nil)
	})

	t.Run("V2EncodingURL", func(t *testing.T) {
		out := v2(t, s3.ListObjectsV2Input{EncodingType: types.EncodingTypeUrl})
		if out.EncodingType != types.EncodingTypeUrl {
			t.Errorf("EncodingType echoed as %q", out.EncodingType)
		}
		wantStrings(t, "url-decoded keys", decodeAll(t, objectKeys(out.Contents)), listFixture)
		checkEncoded(t, objectKeys(out.Contents))
		out = v2(t, s3.ListObjectsV2Input{EncodingType: types.EncodingTypeUrl, Delimiter: aws.String("/"), Prefix: aws.String("c d/")})
		wantStrings(t, "url-decoded keys under c d/", decodeAll(t, objectKeys(out.Contents)), []string{"c d/e.txt"})
		if got := decode(t, aws.ToString(out.Prefix)); got != "c d/" {
			t.Errorf("Prefix decodes to %q, want %q (raw %q)", got, "c d/", aws.ToString(out.Prefix))
		}
		out = v2(t, s3.ListObjectsV2Input{EncodingType: types.EncodingTypeUrl, Delimiter: aws.String("/")})
		wantStrings(t, "url-decoded prefixes", decodeAll(t, commonPrefixes(out.CommonPrefixes)), []string{"b/", "c d/", "é/"})
		checkEncoded(t, commonPrefixes(out.CommonPrefixes))
	})

	t.Run("V1", func(t *testing.T) {
		out := v1(t, s3.ListObjectsInput{})
		wantStrings(t, "keys", objectKeys(out.Contents), listFixture)
		out = v1(t, s3.ListObjectsInput{Prefix: aws.String("b/"), Delimiter: aws.String("/")})
		wantStrings(t, "keys under b/", objectKeys(out.Contents), []string{"b/1.txt", "b/2.txt"})
		wantStrings(t, "prefixes under b/", commonPrefixes(out.CommonPrefixes), []string{"b/c/"})
		out = v1(t, s3.ListObjectsInput{Marker: aws.String("c d/e.txt")})
		wantStrings(t, "after marker", objectKeys(out.Contents), listFixture[5:])
		if aws.ToString(out.Marker) != "c d/e.txt" {
			t.Errorf("Marker echoed as %q", aws.ToString(out.Marker))
		}
	})

	t.Run("V1MaxKeysAndMarker", func(t *testing.T) {
		var got []string
		marker := ""
		for page := 0; ; page++ {
			if page > len(listFixture) {
				t.Fatal("paging does not end")
			}
			out := v1(t, s3.ListObjectsInput{MaxKeys: aws.Int32(3), Marker: aws.String(marker)})
			if len(out.Contents) > 3 || aws.ToInt32(out.MaxKeys) != 3 {
				t.Fatalf("page %d: %d keys, MaxKeys %d", page, len(out.Contents), aws.ToInt32(out.MaxKeys))
			}
			got = append(got, objectKeys(out.Contents)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			// Without a delimiter S3 may omit NextMarker: the last key is
			// the next marker.
			marker = aws.ToString(out.Contents[len(out.Contents)-1].Key)
			if out.NextMarker != nil && aws.ToString(out.NextMarker) != marker {
				t.Errorf("NextMarker %q, want the last key %q", aws.ToString(out.NextMarker), marker)
			}
		}
		wantStrings(t, "paged keys", got, listFixture)
	})

	t.Run("V1MaxKeysWithDelimiter", func(t *testing.T) {
		var keys, prefixes []string
		marker := ""
		for page := 0; ; page++ {
			if page > 10 {
				t.Fatal("paging does not end")
			}
			out := v1(t, s3.ListObjectsInput{MaxKeys: aws.Int32(2), Delimiter: aws.String("/"), Marker: aws.String(marker)})
			keys = append(keys, objectKeys(out.Contents)...)
			prefixes = append(prefixes, commonPrefixes(out.CommonPrefixes)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			// With a delimiter, a truncated v1 listing carries NextMarker.
			if out.NextMarker == nil {
				t.Fatalf("page %d truncated with a delimiter but no NextMarker", page)
			}
			marker = aws.ToString(out.NextMarker)
		}
		wantStrings(t, "keys", keys, []string{"a.txt", "d+e%f.txt", "z"})
		wantStrings(t, "prefixes", prefixes, []string{"b/", "c d/", "é/"})
	})

	t.Run("V1EncodingURL", func(t *testing.T) {
		out := v1(t, s3.ListObjectsInput{EncodingType: types.EncodingTypeUrl})
		wantStrings(t, "url-decoded keys", decodeAll(t, objectKeys(out.Contents)), listFixture)
		checkEncoded(t, objectKeys(out.Contents))
		out = v1(t, s3.ListObjectsInput{EncodingType: types.EncodingTypeUrl, Delimiter: aws.String("/")})
		wantStrings(t, "url-decoded prefixes", decodeAll(t, commonPrefixes(out.CommonPrefixes)), []string{"b/", "c d/", "é/"})
	})

	t.Run("ErrorBadContinuationToken", func(t *testing.T) {
		// AWS ListObjectsV2: a token it did not issue → 400 InvalidArgument
		// ("The continuation token provided is incorrect").
		_, err := e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, ContinuationToken: aws.String("not-a-token-this-server-issued")})
		wantAPIErr(t, err, "InvalidArgument", 400)
	})
	t.Run("ErrorNegativeMaxKeys", func(t *testing.T) {
		_, err := e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, MaxKeys: aws.Int32(-1)})
		wantAPIErr(t, err, "InvalidArgument", 400)
		_, err = e.c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, MaxKeys: aws.Int32(-1)})
		wantAPIErr(t, err, "InvalidArgument", 400)
	})
	t.Run("ErrorBadEncodingType", func(t *testing.T) {
		// AWS: 400 InvalidArgument "Invalid Encoding Method specified in
		// Request".
		_, err := e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, EncodingType: "base64"})
		wantAPIErr(t, err, "InvalidArgument", 400)
		_, err = e.c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, EncodingType: "base64"})
		wantAPIErr(t, err, "InvalidArgument", 400)
	})
	t.Run("ErrorMissingBucket", func(t *testing.T) {
		_, err := e.c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("no-such-bucket")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
	})
	t.Run("ErrorNoGrant", func(t *testing.T) {
		nobody := e.keyWithoutCreate(t, "list-nobody")
		_, err := e.client(nobody).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = e.client(nobody).ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b})
		wantAPIErr(t, err, "AccessDenied", 403)
	})
}

func decode(t testing.TB, s string) string {
	t.Helper()
	d, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatalf("%q is not URL-encoded: %v", s, err)
	}
	return d
}

func decodeAll(t testing.TB, ss []string) []string {
	t.Helper()
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = decode(t, s)
	}
	return out
}

// checkEncoded fails if a URL-encoded value still holds characters that
// encoding-type=url must escape.
func checkEncoded(t testing.TB, ss []string) {
	t.Helper()
	for _, s := range ss {
		for _, r := range s {
			if r == ' ' || r > 0x7e || r < 0x20 {
				t.Errorf("encoding-type=url value %q holds a raw %q", s, r)
			}
		}
		if strings.Contains(s, "%f.") {
			t.Errorf("encoding-type=url value %q holds a raw %%", s)
		}
	}
}

// TestSDKListPaging lists 2,500 keys page by page with v1 and v2 and
// checks that every key comes back exactly once, in order.
func TestSDKListPaging(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "paging")
	const n = 2500
	objs := make(map[string][]byte, n)
	for i := range n {
		objs[fmt.Sprintf("page/%02d/%04d", i/100, i)] = nil
	}
	want := sortedKeys(objs)
	e.putMany(t, b, objs)

	exactlyOnce := func(t *testing.T, what string, got []string) {
		t.Helper()
		if len(got) != len(want) {
			seen := map[string]int{}
			var dup []string
			for _, k := range got {
				if seen[k]++; seen[k] == 2 {
					dup = append(dup, k)
				}
			}
			t.Fatalf("%s: %d keys, want %d; duplicates %q", what, len(got), len(want), dup[:min(len(dup), 10)])
		}
		if !slices.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: key %d is %q, want %q", what, i, got[i], want[i])
				}
			}
		}
	}

	for _, maxKeys := range []int32{0, 777} { // 0 = server default (1000)
		t.Run(fmt.Sprintf("V2MaxKeys%d", maxKeys), func(t *testing.T) {
			var got []string
			var token *string
			pages := 0
			for {
				in := &s3.ListObjectsV2Input{Bucket: &b, ContinuationToken: token}
				if maxKeys > 0 {
					in.MaxKeys = &maxKeys
				}
				out, err := e.c.ListObjectsV2(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				limit := int(maxKeys)
				if limit == 0 {
					limit = 1000
				}
				if len(out.Contents) > limit || (aws.ToBool(out.IsTruncated) && len(out.Contents) != limit) {
					t.Fatalf("page %d: %d keys (truncated %v), want %d per full page", pages, len(out.Contents), aws.ToBool(out.IsTruncated), limit)
				}
				got = append(got, objectKeys(out.Contents)...)
				if !aws.ToBool(out.IsTruncated) {
					break
				}
				if pages > n {
					t.Fatal("paging does not end")
				}
				token = out.NextContinuationToken
			}
			exactlyOnce(t, "v2", got)
		})
	}

	t.Run("V1MaxKeys700", func(t *testing.T) {
		var got []string
		marker := ""
		for pages := 1; ; pages++ {
			out, err := e.c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, MaxKeys: aws.Int32(700), Marker: &marker})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, objectKeys(out.Contents)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if len(out.Contents) != 700 || pages > n {
				t.Fatalf("page %d: %d keys, want 700", pages, len(out.Contents))
			}
			marker = aws.ToString(out.Contents[len(out.Contents)-1].Key)
		}
		exactlyOnce(t, "v1", got)
	})

	t.Run("V1DefaultMaxKeys", func(t *testing.T) {
		out, err := e.c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 1000 || !aws.ToBool(out.IsTruncated) {
			t.Fatalf("default v1 page: %d keys truncated %v, want 1000 and truncated", len(out.Contents), aws.ToBool(out.IsTruncated))
		}
	})

	t.Run("Paginators", func(t *testing.T) {
		var got []string
		p := s3.NewListObjectsV2Paginator(e.c, &s3.ListObjectsV2Input{Bucket: &b, MaxKeys: aws.Int32(250), Prefix: aws.String("page/")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, objectKeys(page.Contents)...)
		}
		exactlyOnce(t, "v2 paginator", got)
	})

	wantPrefixes := make([]string, 25)
	for i := range wantPrefixes {
		wantPrefixes[i] = fmt.Sprintf("page/%02d/", i)
	}
	t.Run("V2DelimiterPaging", func(t *testing.T) {
		var got []string
		var token *string
		for pages := 1; ; pages++ {
			out, err := e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("page/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(10), ContinuationToken: token})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Contents) != 0 {
				t.Fatalf("keys %q at the page/ level", objectKeys(out.Contents))
			}
			got = append(got, commonPrefixes(out.CommonPrefixes)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if pages > 25 {
				t.Fatal("paging does not end")
			}
			token = out.NextContinuationToken
		}
		wantStrings(t, "common prefixes", got, wantPrefixes)
	})
	t.Run("V1DelimiterPaging", func(t *testing.T) {
		var got []string
		marker := ""
		for pages := 1; ; pages++ {
			out, err := e.c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, Prefix: aws.String("page/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(10), Marker: &marker})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, commonPrefixes(out.CommonPrefixes)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if out.NextMarker == nil || pages > 25 {
				t.Fatalf("page %d truncated without NextMarker", pages)
			}
			marker = aws.ToString(out.NextMarker)
		}
		wantStrings(t, "common prefixes", got, wantPrefixes)
	})
}

// TestSDKListMultipartUploads covers ListMultipartUploads: prefix,
// delimiter, paging with key and upload-id markers, and that completed or
// aborted uploads leave the listing.
func TestSDKListMultipartUploads(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "uploads")
	type up struct{ key, id string }
	var ups []up
	for _, k := range []string{"mp/a", "mp/a", "mp/b", "other/c"} {
		out, err := e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		ups = append(ups, up{k, aws.ToString(out.UploadId)})
	}
	list := func(t *testing.T, in s3.ListMultipartUploadsInput) *s3.ListMultipartUploadsOutput {
		t.Helper()
		in.Bucket = &b
		out, err := e.c.ListMultipartUploads(ctx, &in)
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		return out
	}
	keysIDs := func(us []types.MultipartUpload) []string {
		var out []string
		for _, u := range us {
			out = append(out, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
		}
		return out
	}
	all := func(us []up) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.key+" "+u.id)
		}
		slices.SortStableFunc(out, func(a, b string) int { // by key; same key: by upload order
			return strings.Compare(strings.Fields(a)[0], strings.Fields(b)[0])
		})
		return out
	}

	t.Run("All", func(t *testing.T) {
		out := list(t, s3.ListMultipartUploadsInput{})
		wantStrings(t, "uploads", keysIDs(out.Uploads), all(ups))
		for _, u := range out.Uploads {
			if u.Initiated == nil {
				t.Errorf("upload %s has no Initiated", aws.ToString(u.UploadId))
			}
		}
		if aws.ToBool(out.IsTruncated) {
			t.Error("IsTruncated on a complete listing")
		}
	})

	t.Run("Prefix", func(t *testing.T) {
		out := list(t, s3.ListMultipartUploadsInput{Prefix: aws.String("mp/")})
		wantStrings(t, "uploads under mp/", keysIDs(out.Uploads), all(ups[:3]))
	})

	t.Run("Delimiter", func(t *testing.T) {
		out := list(t, s3.ListMultipartUploadsInput{Delimiter: aws.String("/")})
		wantStrings(t, "uploads", keysIDs(out.Uploads), nil)
		wantStrings(t, "common prefixes", commonPrefixes(out.CommonPrefixes), []string{"mp/", "other/"})
	})

	t.Run("Paging", func(t *testing.T) {
		var got []string
		var keyMarker, idMarker *string
		for page := 1; ; page++ {
			out := list(t, s3.ListMultipartUploadsInput{MaxUploads: aws.Int32(1), KeyMarker: keyMarker, UploadIdMarker: idMarker})
			if len(out.Uploads) > 1 {
				t.Fatalf("page %d: %d uploads, want at most 1", page, len(out.Uploads))
			}
			got = append(got, keysIDs(out.Uploads)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if page > 10 {
				t.Fatal("paging does not end")
			}
			keyMarker, idMarker = out.NextKeyMarker, out.NextUploadIdMarker
		}
		wantStrings(t, "paged uploads", got, all(ups))
	})

	t.Run("CompletedAndAbortedLeave", func(t *testing.T) {
		if _, err := e.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: aws.String(ups[0].key), UploadId: &ups[0].id}); err != nil {
			t.Fatal(err)
		}
		part, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String(ups[2].key), UploadId: &ups[2].id, PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String(ups[2].key), UploadId: &ups[2].id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
		if err != nil {
			t.Fatal(err)
		}
		out := list(t, s3.ListMultipartUploadsInput{})
		wantStrings(t, "uploads left", keysIDs(out.Uploads), all([]up{ups[1], ups[3]}))
	})

	t.Run("Errors", func(t *testing.T) {
		_, err := e.c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("no-such-bucket")})
		wantAPIErr(t, err, "NoSuchBucket", 404)
		nobody := e.keyWithoutCreate(t, "uploads-nobody")
		_, err = e.client(nobody).ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
		wantAPIErr(t, err, "AccessDenied", 403)
	})
}
