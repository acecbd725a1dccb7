package e2e

// Browser POST uploads: malformed forms are refused and store nothing;
// the Location answered is absolute (issue 10).

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rawPostForm is a multipart/form-data body written by hand, so that it
// can be malformed on purpose.
func rawPostForm(fields []postField, fileFieldName, file string, closeForm bool) (body []byte, contentType string) {
	const boundary = "compatBoundary42"
	var b bytes.Buffer
	for _, f := range fields {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", boundary, f.name, f.value)
	}
	fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q; filename=\"f.txt\"\r\nContent-Type: text/plain\r\n\r\n%s", boundary, fileFieldName, file)
	if closeForm {
		fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	}
	return b.Bytes(), "multipart/form-data; boundary=" + boundary
}

func TestPostObjectCompat(t *testing.T) {
	e := newSDKEnv(t)
	b := e.bucket(t, "post-compat")
	auth := func() []postField {
		return signPostPolicy(e.key, time.Now(), time.Now().Add(time.Hour),
			map[string]string{"bucket": b}, []any{"starts-with", "$key", ""}, []any{"starts-with", "$success_action_status", ""},
			[]any{"content-length-range", 10, 1000})
	}
	send := func(t *testing.T, body []byte, ct string) *http.Response {
		t.Helper()
		req := sdkReq(t, e.ctx, http.MethodPost, e.n.S3URL()+"/"+b, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := sdkHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	t.Run("AbsoluteLocation", func(t *testing.T) {
		fields := append([]postField{{"key", "dir/a b.txt"}, {"success_action_status", "201"}}, auth()...)
		body, ct := rawPostForm(fields, "file", "hello there, form", true)
		resp := send(t, body, ct)
		got := sdkReadBody(t, resp)
		if resp.StatusCode != 201 {
			t.Fatalf("POST: %s %s", resp.Status, got)
		}
		var pr struct {
			Location string `xml:"Location"`
		}
		xml.Unmarshal(got, &pr)
		for what, loc := range map[string]string{"Location header": resp.Header.Get("Location"), "PostResponse Location": pr.Location} {
			u, err := url.Parse(loc)
			if err != nil || !u.IsAbs() || u.Host != e.n.S3Addr || u.Path != "/"+b+"/dir/a b.txt" {
				t.Fatalf("%s %q: want an absolute URL of the object on %s", what, loc, e.n.S3Addr)
			}
		}
	})
	t.Run("FileWithoutFieldName", func(t *testing.T) {
		fields := append([]postField{{"key", "noname"}}, auth()...)
		body, ct := rawPostForm(fields, "", "hello there, form", true)
		wantHTTPErr(t, send(t, body, ct), "MalformedPOSTRequest", 400)
		e.wantNoObject(t, b, "noname")
	})
	t.Run("FileWithoutClosingBoundary", func(t *testing.T) {
		for _, file := range []string{"hello there, form", "short"} {
			key := "truncated-" + strings.ReplaceAll(file, " ", "")
			fields := append([]postField{{"key", key}}, auth()...)
			body, ct := rawPostForm(fields, "file", file, false)
			wantHTTPErr(t, send(t, body, ct), "IncompleteBody", 400)
			e.wantNoObject(t, b, key)
		}
	})
}
