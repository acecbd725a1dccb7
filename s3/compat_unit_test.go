package s3

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/garage-web/garage-web/s3/s3err"
)

func TestUploadChecksumType(t *testing.T) {
	for _, c := range []struct {
		alg, typ, want string
		ok             bool
	}{
		{"", "", "", true},
		{"", "FULL_OBJECT", "", false},
		{"CRC32", "", "COMPOSITE", true},
		{"CRC32", "full_object", "FULL_OBJECT", true},
		{"CRC32C", "FULL_OBJECT", "FULL_OBJECT", true},
		{"CRC64NVME", "", "FULL_OBJECT", true},
		{"CRC64NVME", "COMPOSITE", "", false},
		{"SHA256", "FULL_OBJECT", "", false},
		{"SHA1", "COMPOSITE", "COMPOSITE", true},
		{"CRC32", "PARTIAL", "", false},
	} {
		got, err := uploadChecksumType(c.alg, c.typ)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("uploadChecksumType(%q, %q) = %q, %v; want %q ok=%v", c.alg, c.typ, got, err, c.want, c.ok)
		}
	}
}

func TestPageBuckets(t *testing.T) {
	all := func() *listAllMyBucketsResult {
		r := &listAllMyBucketsResult{}
		for _, n := range []string{"a", "b1", "b2", "b3", "c"} {
			r.Buckets = append(r.Buckets, bucketItem{Name: n})
		}
		return r
	}
	names := func(r *listAllMyBucketsResult) (out []string) {
		for _, b := range r.Buckets {
			out = append(out, b.Name)
		}
		return out
	}
	r := all()
	if err := pageBuckets(r, url.Values{"prefix": {"b"}, "max-buckets": {"2"}}); err != nil || len(r.Buckets) != 2 || r.ContToken == "" {
		t.Fatalf("first page %v token %q err %v", names(r), r.ContToken, err)
	}
	tok := r.ContToken
	r = all()
	if err := pageBuckets(r, url.Values{"prefix": {"b"}, "max-buckets": {"2"}, "continuation-token": {tok}}); err != nil || len(r.Buckets) != 1 || r.Buckets[0].Name != "b3" || r.ContToken != "" {
		t.Fatalf("second page %v token %q err %v", names(r), r.ContToken, err)
	}
	for _, q := range []url.Values{{"max-buckets": {"0"}}, {"max-buckets": {"10001"}}, {"max-buckets": {"x"}}, {"continuation-token": {"junk"}}} {
		if err := pageBuckets(all(), q); err == nil {
			t.Errorf("pageBuckets(%v): no error", q)
		} else if e, _ := s3err.From(err); e.Code != "InvalidArgument" {
			t.Errorf("pageBuckets(%v): %s, want InvalidArgument", q, e.Code)
		}
	}
	r = all()
	if err := pageBuckets(r, url.Values{}); err != nil || len(r.Buckets) != 5 || r.ContToken != "" || r.Prefix != nil {
		t.Fatalf("no paging: %v %q", names(r), r.ContToken)
	}
}

func TestRouteCompat(t *testing.T) {
	for _, c := range []struct {
		method, key, query string
		want               Operation
	}{
		{http.MethodGet, "", "versions", OpListObjectVersions},
		{http.MethodPut, "", "versions", OpUnsupported},
		{http.MethodDelete, "", "versions", OpUnsupported},
		{http.MethodGet, "k", "attributes", OpGetObjectAttributes},
		{http.MethodPut, "k", "attributes", OpUnsupported},
	} {
		q, _ := url.ParseQuery(c.query)
		if got := route(c.method, "b", c.key, q, http.Header{}); got != c.want {
			t.Errorf("route(%s %q ?%s) = %s, want %s", c.method, c.key, c.query, got, c.want)
		}
	}
}

func TestRejectProtection(t *testing.T) {
	for _, c := range []struct {
		h  map[string]string
		ok bool
	}{
		{map[string]string{}, true},
		{map[string]string{"X-Amz-Bucket-Object-Lock-Enabled": "false"}, true},
		{map[string]string{"X-Amz-Bucket-Object-Lock-Enabled": "True"}, false},
		{map[string]string{"X-Amz-Object-Lock-Mode": "GOVERNANCE"}, false},
		{map[string]string{"X-Amz-Object-Lock-Retain-Until-Date": "2030-01-01T00:00:00Z"}, false},
		{map[string]string{"X-Amz-Object-Lock-Legal-Hold": "ON"}, false},
		{map[string]string{"X-Amz-Object-Lock-Legal-Hold": "OFF"}, true},
	} {
		h := http.Header{}
		for k, v := range c.h {
			h.Set(k, v)
		}
		if err := rejectProtection(h); (err == nil) != c.ok {
			t.Errorf("rejectProtection(%v) = %v, want ok=%v", c.h, err, c.ok)
		}
	}
}

func TestListEncoding(t *testing.T) {
	if got := listEncoder(true).enc("a b/c+d%é"); got != "a%20b/c%2Bd%25%C3%A9" {
		t.Fatalf("enc = %q", got)
	}
}

func TestParseTagging(t *testing.T) {
	for in, want := range map[string]string{"": "", "b=2&a=1": "a=1&b=2", "k=a%20b": "k=a+b", "k=": "k="} {
		got, err := parseTagging(in)
		if err != nil || got != want {
			t.Errorf("parseTagging(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"a=1&a=2", "=v", "%zz=1", "k=" + string(make([]byte, 300))} {
		if _, err := parseTagging(in); err == nil {
			t.Errorf("parseTagging(%q): accepted", in)
		}
	}
}
