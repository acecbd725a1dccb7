package e2e

// Signature Version 2 (issue 10): real V2 clients (s3cmd --signature-v2,
// boto3 with signature_version='s3') work, and every refusal is the
// precise S3 error: a wrong signature, an expired presigned URL, a skewed
// clock, and any V2 request when s3_api.sigv2 = false.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garage-web/garage-web/s3/sigv2"
)

// startNodeSigV2Off starts a single node with s3_api.sigv2 = false.
func startNodeSigV2Off(t *testing.T) *Node {
	t.Helper()
	n := newNode(t, "", freePorts(t, nodePorts), NodeOptions{}, nodeReplication{Factor: 1, Secret: randHex(t, 32)})
	cfg, err := os.ReadFile(n.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("[s3_api]\n"), []byte("[s3_api]\nsigv2 = false\n"), 1)
	if err := os.WriteFile(n.ConfigPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	n.Start(t)
	return n
}

// v2Do sends a request signed with Signature Version 2 (path style) at
// date; resource is the canonical resource ("/bucket/key?sub").
func v2Do(t *testing.T, n *Node, k Key, method, target, resource string, h http.Header, body []byte, date time.Time) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, n.S3URL()+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, vs := range h {
		req.Header[name] = vs
	}
	req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	sts := sigv2.StringToSign(method, req.Header, req.Header.Get("Date"), resource)
	req.Header.Set("Authorization", "AWS "+k.ID+":"+sigv2.Sign(k.Secret, sts))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// v2Presign returns a V2 presigned GET URL of resource valid until expires.
func v2Presign(n *Node, k Key, resource string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	sig := sigv2.Sign(k.Secret, sigv2.StringToSign("GET", http.Header{}, exp, resource))
	return n.S3URL() + resource + "?" + url.Values{"AWSAccessKeyId": {k.ID}, "Expires": {exp}, "Signature": {sig}}.Encode()
}

func v2Get(t *testing.T, u string) *http.Response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestCompatSigV2S3cmd(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "s3cmd-v2")
	sc := n.S3cmd(t, k)
	sc.Prefix = append(sc.Prefix, "--signature-v2")
	const bucket = "s3cmd-v2"
	dir := t.TempDir()

	sc.Must(t, "mb", "s3://"+bucket)
	small := randBytes(3, 20<<10)
	path := filepath.Join(dir, "small file.bin")
	if err := os.WriteFile(path, small, 0o644); err != nil {
		t.Fatal(err)
	}
	const key = "v2/small file.bin"
	sc.Must(t, "put", "--add-header=x-amz-meta-color:blue", path, "s3://"+bucket+"/"+key)
	got := filepath.Join(dir, "got")
	sc.Must(t, "get", "s3://"+bucket+"/"+key, got)
	mustSameFile(t, got, small)
	if out := sc.Must(t, "ls", "s3://"+bucket+"/v2/"); !strings.Contains(out, "s3://"+bucket+"/"+key) {
		t.Fatalf("s3cmd ls lacks %s:\n%s", key, out)
	}
	if out := sc.Must(t, "info", "s3://"+bucket+"/"+key); !strings.Contains(out, "x-amz-meta-color: blue") {
		t.Fatalf("s3cmd info does not show the metadata:\n%s", out)
	}

	// Multipart (uploads, uploadId and partNumber are signed sub-resources).
	big := randBytes(4, 11<<20)
	bigPath := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(bigPath, big, 0o644); err != nil {
		t.Fatal(err)
	}
	sc.Must(t, "put", "--multipart-chunk-size-mb=5", bigPath, "s3://"+bucket+"/big.bin")
	sc.Must(t, "get", "s3://"+bucket+"/big.bin", filepath.Join(dir, "big.got"))
	mustSameFile(t, filepath.Join(dir, "big.got"), big)

	// s3cmd signurl makes a V2 presigned URL.
	signed := strings.TrimSpace(sc.Must(t, "signurl", "s3://"+bucket+"/"+key, "+600"))
	if !strings.Contains(signed, "AWSAccessKeyId=") || !strings.Contains(signed, "Signature=") {
		t.Fatalf("s3cmd signurl made no V2 URL: %s", signed)
	}
	resp := v2Get(t, signed)
	if b := sdkReadBody(t, resp); resp.StatusCode != 200 || !bytes.Equal(b, small) {
		t.Fatalf("GET of s3cmd's presigned URL: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}

	sc.Must(t, "del", "s3://"+bucket+"/"+key)
	sc.Must(t, "del", "s3://"+bucket+"/big.bin")
	sc.Must(t, "rb", "s3://"+bucket)

	// A wrong secret is SignatureDoesNotMatch, not a silent success.
	bad := n.S3cmd(t, Key{ID: k.ID, Secret: "wrong" + k.Secret})
	bad.Prefix = append(bad.Prefix, "--signature-v2")
	if _, e, err := bad.Run("ls"); err == nil || !strings.Contains(e, "SignatureDoesNotMatch") {
		t.Fatalf("s3cmd with a wrong secret: err %v, stderr:\n%s", err, clip(e))
	}
}

func TestCompatSigV2Boto3(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "boto3-v2")
	py := n.Boto3(t, k)
	if _, _, err := py.Run("-c", "from botocore.auth import AUTH_TYPE_MAPS; assert 's3' in AUTH_TYPE_MAPS"); err != nil {
		t.Skip("the installed botocore has no Signature Version 2 signer (signature_version='s3')")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_sigv2.py"))
	if err != nil {
		t.Fatal(err)
	}
	const bucket = "boto3-v2"
	o, e, err := py.Run(script, bucket)
	t.Logf("boto3_sigv2.py output:\n%s", o)
	if err != nil || !strings.Contains(o, "SIGV2 OK") {
		t.Fatalf("boto3_sigv2.py failed: %v\nstderr:\n%s", err, clip(e))
	}

	// The V2 presigned POST boto3 made, sent as a browser would.
	var post struct {
		URL    string            `json:"url"`
		Fields map[string]string `json:"fields"`
	}
	for _, line := range strings.Split(o, "\n") {
		if rest, ok := strings.CutPrefix(line, "POST "); ok {
			if err := json.Unmarshal([]byte(rest), &post); err != nil {
				t.Fatal(err)
			}
		}
	}
	if post.URL == "" {
		t.Fatal("boto3_sigv2.py printed no POST form")
	}
	send := func(fields map[string]string, file string) *http.Response {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for name, v := range fields {
			if err := mw.WriteField(name, v); err != nil {
				t.Fatal(err)
			}
		}
		fw, err := mw.CreateFormFile("file", "hello.txt")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, file)
		mw.Close()
		resp, err := http.Post(post.URL, mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := send(post.Fields, "posted with V2")
	if b := sdkReadBody(t, resp); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("V2 POST upload: HTTP %d %s", resp.StatusCode, b)
	}
	resp = v2Get(t, v2Presign(n, k, "/"+bucket+"/posted/hello.txt", time.Now().Add(time.Minute)))
	if b := sdkReadBody(t, resp); resp.StatusCode != 200 || string(b) != "posted with V2" {
		t.Fatalf("GET of the posted object: HTTP %d %q", resp.StatusCode, b)
	}
	// The policy is enforced as for SigV4 forms; a changed signature is refused.
	wantHTTPErr(t, send(post.Fields, strings.Repeat("x", 1001)), "EntityTooLarge", 400)
	forged := map[string]string{}
	for name, v := range post.Fields {
		forged[name] = v
	}
	forged["signature"] = sigv2.Sign("wrong", post.Fields["policy"])
	wantHTTPErr(t, send(forged, "forged"), "SignatureDoesNotMatch", 403)
}

func TestCompatSigV2Refusals(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "raw-v2")
	const bucket = "raw-v2"
	n.CreateBucket(t, bucket, k)
	now := time.Now()
	hdr := http.Header{"Content-Type": {"text/plain"}}

	resp := v2Do(t, n, k, "PUT", "/"+bucket+"/k", "/"+bucket+"/k", hdr, []byte("v2 body"), now)
	if b := sdkReadBody(t, resp); resp.StatusCode != 200 {
		t.Fatalf("V2 PUT: HTTP %d %s", resp.StatusCode, b)
	}

	t.Run("BadSignature", func(t *testing.T) {
		wantHTTPErr(t, v2Do(t, n, Key{ID: k.ID, Secret: "not-the-secret"}, "GET", "/"+bucket+"/k", "/"+bucket+"/k", nil, nil, now), "SignatureDoesNotMatch", 403)
		// Signed for another resource.
		wantHTTPErr(t, v2Do(t, n, k, "GET", "/"+bucket+"/k", "/"+bucket+"/other", nil, nil, now), "SignatureDoesNotMatch", 403)
		// A wrong Content-MD5 that is signed is still checked against the body.
		md5 := http.Header{"Content-Md5": {sdkMD5B64([]byte("other body"))}}
		wantHTTPErr(t, v2Do(t, n, k, "PUT", "/"+bucket+"/k", "/"+bucket+"/k", md5, []byte("v2 body, changed"), now), "BadDigest", 400)
		// Nothing was changed by the refused requests.
		resp := v2Do(t, n, k, "GET", "/"+bucket+"/k", "/"+bucket+"/k", nil, nil, now)
		if b := sdkReadBody(t, resp); resp.StatusCode != 200 || string(b) != "v2 body" {
			t.Fatalf("GET after the refusals: HTTP %d %q", resp.StatusCode, b)
		}
	})
	t.Run("UnknownKey", func(t *testing.T) {
		wantHTTPErr(t, v2Do(t, n, Key{ID: "GKnosuchkey00000000000000", Secret: "x"}, "GET", "/"+bucket+"/k", "/"+bucket+"/k", nil, nil, now), "InvalidAccessKeyId", 403)
	})
	t.Run("Skewed", func(t *testing.T) {
		wantHTTPErr(t, v2Do(t, n, k, "GET", "/"+bucket+"/k", "/"+bucket+"/k", nil, nil, now.Add(-20*time.Minute)), "RequestTimeTooSkewed", 403)
		wantHTTPErr(t, v2Do(t, n, k, "GET", "/"+bucket+"/k", "/"+bucket+"/k", nil, nil, now.Add(20*time.Minute)), "RequestTimeTooSkewed", 403)
	})
	t.Run("Presigned", func(t *testing.T) {
		resp := v2Get(t, v2Presign(n, k, "/"+bucket+"/k", now.Add(time.Minute)))
		if b := sdkReadBody(t, resp); resp.StatusCode != 200 || string(b) != "v2 body" {
			t.Fatalf("presigned GET: HTTP %d %q", resp.StatusCode, b)
		}
		resp = v2Get(t, v2Presign(n, k, "/"+bucket+"/k", now.Add(-time.Second)))
		body := sdkReadBody(t, resp)
		if resp.StatusCode != 403 || !bytes.Contains(body, []byte("<Code>AccessDenied</Code>")) || !bytes.Contains(body, []byte("Request has expired")) {
			t.Fatalf("expired presigned GET: HTTP %d %s", resp.StatusCode, body)
		}
		u := strings.Replace(v2Presign(n, k, "/"+bucket+"/k", now.Add(time.Minute)), "/"+bucket+"/k?", "/"+bucket+"/other?", 1)
		wantHTTPErr(t, v2Get(t, u), "SignatureDoesNotMatch", 403)
	})
	t.Run("Disabled", func(t *testing.T) {
		off := startNodeSigV2Off(t)
		k2 := off.NewKey(t, "v2-off")
		off.CreateBucket(t, bucket, k2)
		for name, resp := range map[string]*http.Response{
			"header":    v2Do(t, off, k2, "GET", "/"+bucket+"/", "/"+bucket+"/", nil, nil, now),
			"presigned": v2Get(t, v2Presign(off, k2, "/"+bucket+"/k", now.Add(time.Minute))),
		} {
			body := sdkReadBody(t, resp)
			if resp.StatusCode != 403 || !bytes.Contains(body, []byte("<Code>AccessDenied</Code>")) || !bytes.Contains(body, []byte("Signature Version 2 is disabled")) {
				t.Fatalf("%s V2 request with sigv2 = false: HTTP %d %s", name, resp.StatusCode, body)
			}
		}
		// SigV4 still works there.
		if _, err := off.S3(k2).ListBuckets(context.Background(), nil); err != nil {
			t.Fatalf("SigV4 on a node with sigv2 = false: %v", err)
		}
		sc := off.S3cmd(t, k2)
		sc.Prefix = append(sc.Prefix, "--signature-v2")
		if _, e, err := sc.Run("ls", "s3://"+bucket); err == nil || !strings.Contains(e, "AccessDenied") {
			t.Fatalf("s3cmd --signature-v2 with sigv2 = false: err %v\n%s", err, clip(e))
		}
	})
}
