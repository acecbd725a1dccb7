package httpobject

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/model"
)

func TestParseETags(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"*", []string{"*"}},
		{`"abc"`, []string{"abc"}},
		{`W/"abc", "def" ,ghi`, []string{"abc", "def", "ghi"}},
	} {
		if got := ParseETags(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseETags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMatchETag(t *testing.T) {
	for _, c := range []struct {
		list, etag string
		want       bool
	}{
		{"*", "x", true},
		{`"a", "b"`, "b", true},
		{`W/"b"`, "b", true},
		{`"a"`, "b", false},
		{"", "b", false},
	} {
		if got := MatchETag(c.list, c.etag); got != c.want {
			t.Errorf("MatchETag(%q, %q) = %v", c.list, c.etag, got)
		}
	}
}

func TestWriteConditions(t *testing.T) {
	h := http.Header{}
	if c := WriteConditions(h); c.IfMatch != nil || c.IfNoneMatch != nil {
		t.Fatalf("no headers: %+v", c)
	}
	h.Set("If-Match", `"e1", "e2"`)
	h.Set("If-None-Match", "*")
	want := model.WriteConditions{IfMatch: []string{"e1", "e2"}, IfNoneMatch: []string{"*"}}
	if c := WriteConditions(h); !reflect.DeepEqual(c, want) {
		t.Fatalf("WriteConditions = %+v, want %+v", c, want)
	}
}

func TestSetObjectHeaders(t *testing.T) {
	v := model.ObjectVersion{TS: 1700000000123, Meta: &model.ObjectMeta{ETag: "abc", Headers: map[string]string{
		"Cache-Control": "max-age=60", "x-amz-meta-color": "blue", InternalHeaderPrefix + "tagging": "a=b",
	}}}
	h := http.Header{}
	SetObjectHeaders(h, v, "text/plain")
	meta := ""
	for name, vs := range h {
		if name == "x-amz-meta-color" { // stored and sent in lower case, as S3 does
			meta = vs[0]
		}
	}
	if h.Get("Content-Type") != "text/plain" || h.Get("Cache-Control") != "max-age=60" || meta != "blue" {
		t.Fatalf("headers %v", h)
	}
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), InternalHeaderPrefix) {
			t.Fatalf("internal header %s sent", name)
		}
	}
	if h.Get("ETag") != `"abc"` || h.Get("Last-Modified") != "Tue, 14 Nov 2023 22:13:20 GMT" {
		t.Fatalf("validators %q %q", h.Get("ETag"), h.Get("Last-Modified"))
	}
}
