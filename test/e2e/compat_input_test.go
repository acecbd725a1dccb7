package e2e

// Bad input that used to be accepted (issue 10): each is refused with
// S3's error and changes nothing.

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestBadInputRefused(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "bad-input")
	e.put(t, e.c, bucket, "keep", []byte("keep me"))

	do := func(t *testing.T, method, query string, body []byte, h map[string]string) *http.Response {
		t.Helper()
		req := sdkReq(t, ctx, method, e.s3URL()+"/"+bucket+"?"+query, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		return sdkSignedDo(t, e.key, req, body, time.Now())
	}

	t.Run("DeleteObjectsJunkAfterXML", func(t *testing.T) {
		for _, doc := range []string{
			`<Delete><Object><Key>keep</Key></Object></Delete><Delete><Object><Key>x</Key></Object></Delete>`,
			`<Delete><Object><Key>keep</Key></Object></Delete>junk`,
		} {
			body := []byte(doc)
			wantHTTPErr(t, do(t, http.MethodPost, "delete", body, map[string]string{"Content-MD5": sdkMD5B64(body)}), "MalformedXML", 400)
			e.wantObject(t, bucket, "keep", []byte("keep me"))
		}
	})

	cors := []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`)
	site := []byte(`<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>`)
	wrongMD5 := sdkMD5B64([]byte("something else"))
	t.Run("PutBucketCorsWrongMD5", func(t *testing.T) {
		wantHTTPErr(t, do(t, http.MethodPut, "cors", cors, map[string]string{"Content-MD5": wrongMD5}), "BadDigest", 400)
		_, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &bucket})
		wantAPIErr(t, err, "NoSuchCORSConfiguration", 404)
	})
	t.Run("PutBucketWebsiteWrongMD5", func(t *testing.T) {
		wantHTTPErr(t, do(t, http.MethodPut, "website", site, map[string]string{"Content-MD5": wrongMD5}), "BadDigest", 400)
		_, err := e.c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: &bucket})
		wantAPIErr(t, err, "NoSuchWebsiteConfiguration", 404)
	})
	t.Run("PutBucketCorsTwoDocuments", func(t *testing.T) {
		body := append(append([]byte{}, cors...), cors...)
		wantHTTPErr(t, do(t, http.MethodPut, "cors", body, map[string]string{"Content-MD5": sdkMD5B64(body)}), "MalformedXML", 400)
		_, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &bucket})
		wantAPIErr(t, err, "NoSuchCORSConfiguration", 404)
	})
	t.Run("RightMD5Accepted", func(t *testing.T) {
		resp := do(t, http.MethodPut, "cors", cors, map[string]string{"Content-MD5": sdkMD5B64(cors)})
		if b := sdkReadBody(t, resp); resp.StatusCode != 200 {
			t.Fatalf("PutBucketCors with the right Content-MD5: %s %s", resp.Status, b)
		}
		if _, err := e.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
	})
}
