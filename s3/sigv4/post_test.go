package sigv4

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// The example of "Example: Browser-Based Upload using HTTP POST (Using AWS
// Signature Version 4)": its base64 policy and signature.
const (
	postExamplePolicy    = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	postExampleSignature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
)

var postExampleTime = time.Date(2015, 12, 29, 0, 0, 0, 0, time.UTC)

// postExampleForm is the example's form after ${filename} substitution,
// with the bucket from the URL, and field names in the example's case.
func postExampleForm() map[string]string {
	return map[string]string{
		"bucket":                       "sigv4examplebucket",
		"key":                          "user/user1/photo.jpg",
		"acl":                          "public-read",
		"success_action_redirect":      "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
		"Content-Type":                 "image/jpeg",
		"x-amz-meta-uuid":              "14365123651274",
		"x-amz-server-side-encryption": "AES256",
		"X-Amz-Credential":             "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
		"X-Amz-Algorithm":              "AWS4-HMAC-SHA256",
		"X-Amz-Date":                   "20151229T000000Z",
		"x-amz-meta-tag":               "",
		"Policy":                       postExamplePolicy,
		"X-Amz-Signature":              postExampleSignature,
	}
}

func postVerifier(now time.Time) *Verifier {
	v := exampleVerifier("us-east-1")
	v.Now = func() time.Time { return now }
	return v
}

func TestPostPolicyAWSExample(t *testing.T) {
	v := postVerifier(postExampleTime)
	id, p, err := v.VerifyPostPolicy(context.Background(), postExampleForm())
	if err != nil {
		t.Fatalf("VerifyPostPolicy: %v", err)
	}
	if id != exampleAccessKey {
		t.Errorf("access key %q", id)
	}
	if want := time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC); !p.Expiration.Equal(want) {
		t.Errorf("expiration %v", p.Expiration)
	}
	if len(p.Conditions) != 11 {
		t.Errorf("%d conditions, want 11", len(p.Conditions))
	}
	if err := p.Check(postExampleForm(), 1234); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestPostPolicyVerifyErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f map[string]string)
		now    time.Time
		code   string
	}{
		{"wrong signature", func(f map[string]string) { f["X-Amz-Signature"] = strings.Repeat("0", 64) }, postExampleTime, "SignatureDoesNotMatch"},
		{"policy changed", func(f map[string]string) { f["Policy"] = "f" + f["Policy"][1:] }, postExampleTime, "SignatureDoesNotMatch"},
		{"missing policy", func(f map[string]string) { delete(f, "Policy") }, postExampleTime, "InvalidArgument"},
		{"missing date", func(f map[string]string) { delete(f, "X-Amz-Date") }, postExampleTime, "InvalidArgument"},
		{"other algorithm", func(f map[string]string) { f["X-Amz-Algorithm"] = "AWS4-HMAC-SHA1" }, postExampleTime, "InvalidArgument"},
		{"date not the credential's", func(f map[string]string) { f["X-Amz-Date"] = "20151230T000000Z" }, postExampleTime, "InvalidArgument"},
		{"other region", func(f map[string]string) {
			f["X-Amz-Credential"] = "AKIAIOSFODNN7EXAMPLE/20151229/eu-west-1/s3/aws4_request"
		}, postExampleTime, "InvalidArgument"},
		{"unknown key", func(f map[string]string) {
			f["X-Amz-Credential"] = "AKIAUNKNOWN/20151229/us-east-1/s3/aws4_request"
		}, postExampleTime, "InvalidAccessKeyId"},
		{"signature v2", func(f map[string]string) {
			for k := range f {
				if strings.HasPrefix(strings.ToLower(k), "x-amz-") || k == "Policy" {
					delete(f, k)
				}
			}
			f["AWSAccessKeyId"], f["signature"] = "AKIAIOSFODNN7EXAMPLE", "c2ln"
		}, postExampleTime, "InvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := postExampleForm()
			tc.mutate(f)
			_, _, err := postVerifier(tc.now).VerifyPostPolicy(context.Background(), f)
			wantCode(t, err, tc.code)
		})
	}

	// A form without any authentication is anonymous.
	id, p, err := postVerifier(postExampleTime).VerifyPostPolicy(context.Background(), map[string]string{"key": "k", "bucket": "b"})
	if id != "" || p != nil || err != nil {
		t.Fatalf("anonymous form: %q %v %v", id, p, err)
	}
}

func TestPostPolicyCheck(t *testing.T) {
	_, p, err := postVerifier(postExampleTime).VerifyPostPolicy(context.Background(), postExampleForm())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mutate  func(f map[string]string)
		now     time.Time
		code    string
		message string
	}{
		{"valid", nil, postExampleTime, "", ""},
		{"field names in any case", func(f map[string]string) { f["KEY"] = f["key"]; delete(f, "key") }, postExampleTime, "", ""},
		{"x-ignore field", func(f map[string]string) { f["x-ignore-me"] = "1" }, postExampleTime, "", ""},
		{"expired", nil, time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC), "AccessDenied", "Policy expired."},
		{"key outside prefix", func(f map[string]string) { f["key"] = "user/user2/photo.jpg" }, postExampleTime, "AccessDenied", `"$key", "user/user1/"`},
		{"eq failed", func(f map[string]string) { f["acl"] = "private" }, postExampleTime, "AccessDenied", `{"acl": "public-read"}`},
		{"eq field missing", func(f map[string]string) { delete(f, "x-amz-meta-uuid") }, postExampleTime, "AccessDenied", "x-amz-meta-uuid"},
		{"content type prefix", func(f map[string]string) { f["Content-Type"] = "text/html" }, postExampleTime, "AccessDenied", "$Content-Type"},
		{"extra field", func(f map[string]string) { f["x-amz-meta-evil"] = "1" }, postExampleTime, "AccessDenied", "Extra input fields: x-amz-meta-evil"},
		{"bucket differs", func(f map[string]string) { f["bucket"] = "other" }, postExampleTime, "AccessDenied", "sigv4examplebucket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := postExampleForm()
			if tc.mutate != nil {
				tc.mutate(f)
			}
			p.now = func() time.Time { return tc.now }
			err := p.Check(f, 100)
			wantCode(t, err, tc.code)
			if err != nil && !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %v, want it to name %s", err, tc.message)
			}
		})
	}
}

func TestPostPolicyContentLengthRange(t *testing.T) {
	doc := `{"expiration": "2030-01-01T00:00:00Z", "conditions": [
		["content-length-range", 10, "100"], {"key": "k"}, ["eq", "$bucket", "b"]]}`
	p, err := parsePolicy(base64.StdEncoding.EncodeToString([]byte(doc)))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi, ok := p.ContentLengthRange(); !ok || lo != 10 || hi != 100 {
		t.Fatalf("range %d %d %v", lo, hi, ok)
	}
	form := map[string]string{"key": "k", "bucket": "b"}
	for _, tc := range []struct {
		size int64
		code string
	}{{9, "EntityTooSmall"}, {10, ""}, {100, ""}, {101, "EntityTooLarge"}} {
		wantCode(t, p.Check(form, tc.size), tc.code)
	}
}

func TestPostPolicyMalformed(t *testing.T) {
	for _, doc := range []string{
		`not json`,
		`{"conditions": []}`,
		`{"expiration": "tomorrow", "conditions": []}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "x"]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["matches", "$key", "x"]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 10, 5]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 5]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"key": 5}]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": ["key"]}`,
	} {
		if _, err := parsePolicy(base64.StdEncoding.EncodeToString([]byte(doc))); err == nil {
			t.Errorf("policy %s accepted", doc)
		} else {
			wantCode(t, err, "InvalidArgument")
		}
	}
	if _, err := parsePolicy("%%%"); err == nil {
		t.Error("bad base64 accepted")
	}
}
