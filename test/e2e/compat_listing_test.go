package e2e

// Listing and header details that SDKs decode (issue 10), checked against
// AWS's documented behaviour.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// rawListing is the part of a ListBucketResult these tests read as sent.
type rawListing struct {
	Prefix            string   `xml:"Prefix"`
	ContinuationToken *string  `xml:"ContinuationToken"`
	Keys              []string `xml:"Contents>Key"`
}

func (e *sdkEnv) rawGet(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	resp := sdkSignedDo(t, e.key, sdkReq(t, e.ctx, http.MethodGet, e.s3URL()+path, nil), nil, time.Now())
	return resp, sdkReadBody(t, resp)
}

func TestListingCompat(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "list-compat")
	e.put(t, e.c, bucket, "a b/c+d", []byte("x"))

	t.Run("URLEncodingSpaceIsPercent20", func(t *testing.T) {
		for _, v := range []string{"", "&list-type=2"} {
			resp, body := e.rawGet(t, "/"+bucket+"?encoding-type=url"+v)
			if resp.StatusCode != 200 {
				t.Fatalf("list: %s %s", resp.Status, body)
			}
			var l rawListing
			if err := xml.Unmarshal(body, &l); err != nil {
				t.Fatal(err)
			}
			if len(l.Keys) != 1 || l.Keys[0] != "a%20b/c%2Bd" {
				t.Fatalf("list%s encoding-type=url: keys %q, want [a%%20b/c%%2Bd]", v, l.Keys)
			}
		}
	})
	t.Run("V1PrefixAsSent", func(t *testing.T) {
		resp, body := e.rawGet(t, "/"+bucket+"?encoding-type=url&prefix="+url.QueryEscape("a b/"))
		if resp.StatusCode != 200 {
			t.Fatalf("list: %s %s", resp.Status, body)
		}
		var l rawListing
		xml.Unmarshal(body, &l)
		if l.Prefix != "a b/" {
			t.Fatalf("ListObjects v1 Prefix %q, want %q as sent", l.Prefix, "a b/")
		}
		// The SDK decodes keys (and v2's prefix) itself.
		out, err := e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("a b/"), EncodingType: "url"})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a%20b/c%2Bd" {
			t.Fatalf("v2 keys %q", objectKeys(out.Contents))
		}
	})
	t.Run("V2EmptyContinuationTokenEchoed", func(t *testing.T) {
		resp, body := e.rawGet(t, "/"+bucket+"?list-type=2&continuation-token=")
		if resp.StatusCode != 200 {
			t.Fatalf("list: %s %s", resp.Status, body)
		}
		var l rawListing
		xml.Unmarshal(body, &l)
		if l.ContinuationToken == nil || *l.ContinuationToken != "" || !bytes.Contains(body, []byte("<ContinuationToken></ContinuationToken>")) {
			t.Fatalf("empty continuation-token not echoed: %s", body)
		}
	})
	t.Run("ListBucketsPages", func(t *testing.T) {
		for i := range 3 {
			e.bucket(t, fmt.Sprintf("page-%d", i))
		}
		var got []string
		var token *string
		for range 10 {
			out, err := e.c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), ContinuationToken: token, Prefix: aws.String("page-")})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Buckets) > 2 {
				t.Fatalf("max-buckets 2: %d buckets", len(out.Buckets))
			}
			for _, b := range out.Buckets {
				got = append(got, aws.ToString(b.Name))
			}
			if token = out.ContinuationToken; token == nil {
				break
			}
		}
		wantStrings(t, "paged ListBuckets", got, []string{"page-0", "page-1", "page-2"})
		_, err := e.c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(0)})
		if err == nil {
			// the SDK may drop a zero: then ask raw
			resp, body := e.rawGet(t, "/?max-buckets=0")
			if resp.StatusCode != 400 || !strings.Contains(string(body), "InvalidArgument") {
				t.Fatalf("max-buckets=0: %s %s", resp.Status, body)
			}
		}
	})
}
