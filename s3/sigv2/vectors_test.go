package sigv2

import (
	"net/http"
	"net/url"
	"testing"
)

// The examples of AWS's "Signing and Authenticating REST Requests", with
// its example key.
const (
	exampleID     = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func TestAWSExamples(t *testing.T) {
	for _, tc := range []struct {
		name, method, date, resource string
		header                       http.Header
		wantString, wantSig          string
	}{
		{name: "GET object", method: "GET", date: "Tue, 27 Mar 2007 19:36:42 +0000", resource: "/awsexamplebucket1/photos/puppy.jpg",
			wantString: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg", wantSig: "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="},
		{name: "PUT object", method: "PUT", date: "Tue, 27 Mar 2007 21:15:45 +0000", resource: "/awsexamplebucket1/photos/puppy.jpg",
			header:     http.Header{"Content-Type": {"image/jpeg"}, "Content-Length": {"94328"}},
			wantString: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg", wantSig: "iqRzw+ileNPu1fhspnRs8nOjjIA="},
		{name: "list", method: "GET", date: "Tue, 27 Mar 2007 19:42:41 +0000", resource: "/awsexamplebucket1/",
			header:     http.Header{"User-Agent": {"Mozilla/5.0"}},
			wantString: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/", wantSig: "m0WP8eCtspQl5Ahe6L1SozdX9YA="},
		{name: "acl", method: "GET", date: "Tue, 27 Mar 2007 19:44:46 +0000", resource: "/awsexamplebucket1/?acl",
			wantString: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl", wantSig: "82ZHiFIjc+WbcwFKGUVEQspPn+0="},
		{name: "DELETE", method: "DELETE", date: "Tue, 27 Mar 2007 21:20:26 +0000", resource: "/awsexamplebucket1/photos/puppy.jpg",
			wantString: "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg", wantSig: "XbyTlbQdu9Xw5o8P4iMwPktxQd8="},
		{name: "upload with x-amz headers", method: "PUT", date: "Tue, 27 Mar 2007 21:06:08 +0000", resource: "/static.example.com/db-backup.dat.gz",
			header: http.Header{
				"X-Amz-Acl": {"public-read"}, "Content-Type": {"application/x-download"}, "Content-Md5": {"4gJE4saaMU4BqNR0kLY+lw=="},
				"X-Amz-Meta-Reviewedby":        {"joe@example.com", "jane@example.com"},
				"X-Amz-Meta-Filechecksum":      {"0x02661779"},
				"X-Amz-Meta-Checksumalgorithm": {"crc32"},
				"Content-Disposition":          {"attachment; filename=database.dat"},
				"Content-Encoding":             {"gzip"},
			},
			wantString: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n" +
				"x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n" +
				"x-amz-meta-reviewedby:joe@example.com,jane@example.com\n/static.example.com/db-backup.dat.gz",
			wantSig: "jtBQa0Aq+DkULFI8qrpwIjGEx0E="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			got := StringToSign(tc.method, h, tc.date, tc.resource)
			if got != tc.wantString {
				t.Fatalf("string to sign\n%q\nwant\n%q", got, tc.wantString)
			}
			if sig := Sign(exampleSecret, got); sig != tc.wantSig {
				t.Fatalf("signature %s, want %s", sig, tc.wantSig)
			}
		})
	}
}

func TestCanonicalResource(t *testing.T) {
	for _, tc := range []struct {
		bucket, path, query, want string
	}{
		{"", "/b/k", "", "/b/k"},
		{"b", "/k", "", "/b/k"},
		{"b", "", "", "/b/"},
		{"", "/b", "acl", "/b?acl"},
		{"", "/b/k", "uploadId=u1&partNumber=3&foo=bar", "/b/k?partNumber=3&uploadId=u1"},
		{"", "/b/k", "response-content-type=text%2Fplain&versionId=v", "/b/k?response-content-type=text/plain&versionId=v"},
		{"", "/b", "prefix=a&delimiter=%2F&max-keys=2", "/b"},
		{"", "/b/k", "tagging", "/b/k?tagging"},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if got := CanonicalResource(tc.bucket, tc.path, q); got != tc.want {
			t.Errorf("CanonicalResource(%q, %q, %q) = %q, want %q", tc.bucket, tc.path, tc.query, got, tc.want)
		}
	}
}

func TestCanonicalAmzHeaders(t *testing.T) {
	h := http.Header{"X-Amz-Date": {"d"}, "x-amz-meta-a": {" folded \t  value "}, "X-Amz-Meta-A": {"second"}, "Content-Type": {"x"}}
	want := "x-amz-date:d\nx-amz-meta-a:second,folded value\n"
	if got := canonicalAmzHeaders(h); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
