package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"maps"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// postField is one form field, sent in order.
type postField struct{ name, value string }

// signPostPolicy builds the SigV4 POST policy document for conditions
// (plus the x-amz-algorithm/credential/date conditions it adds itself),
// signs it with k and returns the form fields carrying it: x-amz-algorithm,
// x-amz-credential, x-amz-date, policy, x-amz-signature. See AWS
// "Creating a POST policy" and "Calculating a signature" (SigV4 POST).
func signPostPolicy(k Key, now time.Time, expiration time.Time, conditions ...any) []postField {
	date := now.UTC().Format("20060102")
	amzDate := now.UTC().Format("20060102T150405Z")
	cred := k.ID + "/" + date + "/" + region + "/s3/aws4_request"
	conds := append([]any{
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": amzDate},
	}, conditions...)
	doc, err := json.Marshal(map[string]any{
		"expiration": expiration.UTC().Format("2006-01-02T15:04:05.000Z"),
		"conditions": conds,
	})
	if err != nil {
		panic(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	sig := hex.EncodeToString(sdkHMAC(sdkSigningKey(k.Secret, date), policy))
	return []postField{
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		{"x-amz-credential", cred},
		{"x-amz-date", amzDate},
		{"policy", policy},
		{"x-amz-signature", sig},
	}
}

// postUpload sends a browser-style multipart/form-data POST to bucket:
// fields in order, then the file (omitted when file is nil).
func postUpload(t *testing.T, e *sdkEnv, bucket string, fields []postField, filename string, file []byte) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req := sdkReq(t, e.ctx, http.MethodPost, e.n.S3URL()+"/"+bucket, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := sdkHTTP.Do(req)
	if err != nil {
		t.Fatalf("POST upload: %v", err)
	}
	return resp
}

// TestSDKPostObject covers browser POST uploads with a SigV4 POST policy.
func TestSDKPostObject(t *testing.T) {
	e := newSDKEnv(t)
	b := e.bucket(t, "post")
	exp := time.Now().Add(time.Hour)
	// standard is a policy allowing keys under uploads/, any text/ type,
	// 1..1000 bytes, a color metadata field and any success status.
	standard := func(k Key, extra ...any) []postField {
		conds := append([]any{
			map[string]string{"bucket": b},
			[]any{"starts-with", "$key", "uploads/"},
			[]any{"starts-with", "$Content-Type", "text/"},
			[]any{"starts-with", "$success_action_status", ""},
			[]any{"content-length-range", 1, 1000},
			map[string]string{"x-amz-meta-color": "blue"},
		}, extra...)
		return signPostPolicy(k, time.Now(), exp, conds...)
	}
	form := func(auth []postField, key, ctype, status string, more ...postField) []postField {
		f := []postField{{"key", key}, {"Content-Type", ctype}, {"x-amz-meta-color", "blue"}}
		if status != "" {
			f = append(f, postField{"success_action_status", status})
		}
		return append(append(f, more...), auth...)
	}

	t.Run("Success201", func(t *testing.T) {
		body := []byte("hello from a browser form\n")
		resp := postUpload(t, e, b, form(standard(e.key), "uploads/${filename}", "text/plain", "201"), "hello.txt", body)
		got := sdkReadBody(t, resp)
		if resp.StatusCode != 201 {
			t.Fatalf("POST: HTTP %d: %s", resp.StatusCode, got)
		}
		var pr struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Location string   `xml:"Location"`
			Bucket   string   `xml:"Bucket"`
			Key      string   `xml:"Key"`
			ETag     string   `xml:"ETag"`
		}
		if err := xml.Unmarshal(got, &pr); err != nil {
			t.Fatalf("201 body is no PostResponse (%v): %s", err, got)
		}
		if pr.Bucket != b || pr.Key != "uploads/hello.txt" || pr.ETag != sdkQuote(sdkMD5Hex(body)) || pr.Location == "" {
			t.Errorf("PostResponse %+v, want bucket %s key uploads/hello.txt ETag %s and a Location", pr, b, sdkQuote(sdkMD5Hex(body)))
		}
		e.wantObject(t, b, "uploads/hello.txt", body)
		h, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("uploads/hello.txt")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.ContentType) != "text/plain" || !maps.Equal(h.Metadata, map[string]string{"color": "blue"}) {
			t.Errorf("stored Content-Type %q metadata %v, want text/plain and color=blue", aws.ToString(h.ContentType), h.Metadata)
		}
	})

	t.Run("Default204And200", func(t *testing.T) {
		resp := postUpload(t, e, b, form(standard(e.key), "uploads/204.txt", "text/plain", ""), "x", []byte("no status"))
		if got := sdkReadBody(t, resp); resp.StatusCode != 204 {
			t.Fatalf("POST without success_action_status: HTTP %d %s, want 204", resp.StatusCode, got)
		}
		e.wantObject(t, b, "uploads/204.txt", []byte("no status"))
		resp = postUpload(t, e, b, form(standard(e.key), "uploads/200.txt", "text/plain", "200"), "x", []byte("status 200"))
		if got := sdkReadBody(t, resp); resp.StatusCode != 200 {
			t.Fatalf("POST with success_action_status 200: HTTP %d %s", resp.StatusCode, got)
		}
		e.wantObject(t, b, "uploads/200.txt", []byte("status 200"))
	})

	t.Run("MultiBlock", func(t *testing.T) {
		body := randBytes(91, 2*mib+3)
		auth := signPostPolicy(e.key, time.Now(), exp,
			map[string]string{"bucket": b}, map[string]string{"key": "big/post.bin"}, []any{"content-length-range", 0, 3 * mib})
		resp := postUpload(t, e, b, append([]postField{{"key", "big/post.bin"}}, auth...), "post.bin", body)
		if got := sdkReadBody(t, resp); resp.StatusCode/100 != 2 {
			t.Fatalf("POST 2 MiB: HTTP %d %s", resp.StatusCode, got)
		}
		e.wantObject(t, b, "big/post.bin", body)
	})

	// Every violation is refused and stores nothing.
	for _, tc := range []struct {
		name   string
		fields func() []postField
		file   []byte
		code   string
		status int
	}{
		{"KeyOutsidePrefix", func() []postField { return form(standard(e.key), "other/evil.txt", "text/plain", "201") }, []byte("x"), "AccessDenied", 403},
		{"WrongContentType", func() []postField { return form(standard(e.key), "uploads/evil.png", "image/png", "201") }, []byte("x"), "AccessDenied", 403},
		{"WrongMetadataValue", func() []postField {
			f := form(standard(e.key), "uploads/evil.txt", "text/plain", "201")
			f[2].value = "red"
			return f
		}, []byte("x"), "AccessDenied", 403},
		{"FieldNotInPolicy", func() []postField {
			return form(standard(e.key), "uploads/evil.txt", "text/plain", "201", postField{"x-amz-meta-extra", "sneaky"})
		}, []byte("x"), "AccessDenied", 403},
		{"OtherBucketPolicy", func() []postField {
			auth := signPostPolicy(e.key, time.Now(), exp, map[string]string{"bucket": "some-other-bucket"},
				[]any{"starts-with", "$key", ""})
			return append([]postField{{"key", "uploads/evil.txt"}}, auth...)
		}, []byte("x"), "AccessDenied", 403},
		{"ExpiredPolicy", func() []postField {
			auth := signPostPolicy(e.key, time.Now(), time.Now().Add(-time.Minute), map[string]string{"bucket": b},
				[]any{"starts-with", "$key", ""})
			return append([]postField{{"key", "uploads/evil.txt"}}, auth...)
		}, []byte("x"), "AccessDenied", 403},
		{"BadSignature", func() []postField {
			auth := standard(e.key)
			auth[4].value = hex.EncodeToString(sdkHMAC([]byte("wrong"), auth[3].value))
			return form(auth, "uploads/evil.txt", "text/plain", "201")
		}, []byte("x"), "SignatureDoesNotMatch", 403},
		{"WrongSecret", func() []postField {
			return form(standard(Key{ID: e.key.ID, Secret: "not-the-secret"}), "uploads/evil.txt", "text/plain", "201")
		}, []byte("x"), "SignatureDoesNotMatch", 403},
		{"UnknownKey", func() []postField {
			return form(standard(Key{ID: "GK0123456789abcdef01234567", Secret: e.key.Secret}), "uploads/evil.txt", "text/plain", "201")
		}, []byte("x"), "InvalidAccessKeyId", 403},
		{"KeyWithoutGrant", func() []postField {
			k := e.keyWithoutCreate(t, "post-nogrant")
			return form(standard(k), "uploads/evil.txt", "text/plain", "201")
		}, []byte("x"), "AccessDenied", 403},
		// content-length-range [1, 1000].
		{"TooLarge", func() []postField { return form(standard(e.key), "uploads/evil.txt", "text/plain", "201") },
			bytes.Repeat([]byte("L"), 1001), "EntityTooLarge", 400},
		{"TooSmall", func() []postField { return form(standard(e.key), "uploads/evil.txt", "text/plain", "201") },
			[]byte{}, "EntityTooSmall", 400},
		// AWS: "POST requires exactly one file upload per request." → 400
		// InvalidArgument.
		{"NoFile", func() []postField { return form(standard(e.key), "uploads/evil.txt", "text/plain", "201") },
			nil, "InvalidArgument", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantHTTPErr(t, postUpload(t, e, b, tc.fields(), "evil.txt", tc.file), tc.code, tc.status)
			for _, k := range []string{"uploads/evil.txt", "uploads/evil.png", "other/evil.txt"} {
				e.wantNoObject(t, b, k)
			}
		})
	}

	t.Run("NothingElseStored", func(t *testing.T) {
		e.wantKeys(t, b, "", "big/post.bin", "uploads/200.txt", "uploads/204.txt", "uploads/hello.txt")
	})
}
