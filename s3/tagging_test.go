package s3

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/table/crdt"
)

func TestTaggingRoutes(t *testing.T) {
	for _, tc := range []struct {
		method, bucket, key string
		want                Operation
	}{
		{"GET", "b", "k", OpGetObjectTagging},
		{"PUT", "b", "k", OpPutObjectTagging},
		{"DELETE", "b", "k", OpDeleteObjectTagging},
		{"GET", "b", "", OpGetBucketTagging},
		{"PUT", "b", "", OpPutBucketTagging},
		{"DELETE", "b", "", OpDeleteBucketTagging},
	} {
		if got := route(tc.method, tc.bucket, tc.key, url.Values{"tagging": {""}}, http.Header{}); got != tc.want {
			t.Errorf("%s /%s/%s?tagging = %s, want %s", tc.method, tc.bucket, tc.key, got, tc.want)
		}
	}
	if OpPutBucketTagging.access() != accessOwner || OpDeleteBucketTagging.access() != accessOwner || OpPutObjectTagging.access() != accessWrite {
		t.Error("tagging operations need the wrong rights")
	}
}

func TestEncodeTags(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	for _, tc := range []struct {
		name string
		tags []tag
		max  int
		want string // "" with wantErr false: no tags
		err  bool
	}{
		{name: "sorted", tags: []tag{{"b", "2"}, {"a", "x y"}}, max: 10, want: "a=x+y&b=2"},
		{name: "empty", tags: nil, max: 10, want: ""},
		{name: "empty value", tags: []tag{{"k", ""}}, max: 10, want: "k="},
		{name: "too many", tags: []tag{{"a", ""}, {"b", ""}}, max: 1, err: true},
		{name: "duplicate", tags: []tag{{"a", "1"}, {"a", "2"}}, max: 10, err: true},
		{name: "aws prefix", tags: []tag{{"AWS:x", "1"}}, max: 10, err: true},
		{name: "empty key", tags: []tag{{"", "1"}}, max: 10, err: true},
		{name: "key 128", tags: []tag{{long("k", 128), ""}}, max: 10, want: long("k", 128) + "="},
		{name: "key 129", tags: []tag{{long("k", 129), ""}}, max: 10, err: true},
		{name: "value 257", tags: []tag{{"k", long("v", 257)}}, max: 10, err: true},
		{name: "key 64 astral", tags: []tag{{long("𠀀", 64), ""}}, max: 10, want: url.Values{long("𠀀", 64): {""}}.Encode()}, // U+20000, a CJK letter outside the BMP
		{name: "key 65 astral", tags: []tag{{long("𠀀", 65), ""}}, max: 10, err: true},
		{name: "invalid UTF-8", tags: []tag{{"k\xff", ""}}, max: 10, err: true},
	} {
		got, err := encodeTags(tc.tags, tc.max, "Object")
		if tc.err {
			if !errors.Is(err, s3err.ErrInvalidTag) {
				t.Errorf("%s: %q, %v; want InvalidTag", tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := parseTagging("aws:k=v"); !errors.Is(err, s3err.ErrInvalidTag) {
		t.Errorf("x-amz-tagging with aws: prefix: %v", err)
	}
}

func TestStoredTags(t *testing.T) {
	v := model.ObjectVersion{Meta: &model.ObjectMeta{Headers: map[string]string{taggingHeader: "a=1"}}}
	if got := storedTags(v); got != "a=1" {
		t.Fatalf("tags written with the object: %q", got)
	}
	removed := crdt.NewLWW(uint64(5), "")
	v.Tags = &removed
	if got := storedTags(v); got != "" {
		t.Fatalf("tags after DeleteObjectTagging: %q", got)
	}
}
