package sigv4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/garage-web/garage-web/s3/s3err"
)

// The example credentials and time of the AWS S3 SigV4 documentation.
const (
	exampleAccessKey = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func lookupFrom(keys map[string]string) SecretLookup {
	return func(_ context.Context, id string) (string, error) {
		if s, ok := keys[id]; ok {
			return s, nil
		}
		return "", fmt.Errorf("key %q: %w", id, s3err.ErrInvalidAccessKeyID)
	}
}

func exampleVerifier(region string) *Verifier {
	return &Verifier{
		Region: region,
		Lookup: lookupFrom(map[string]string{exampleAccessKey: exampleSecret}),
		Now:    func() time.Time { return exampleTime },
	}
}

// request builds a server-side request as net/http would hand it over.
func request(method, target string, body []byte, headers ...string) *http.Request {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// wantCode checks that err is the S3 error with code, or nil when code is "".
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *s3err.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an S3 error, want %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

// The single-chunk examples of "Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk" (AWS S3 API reference).
func TestAWSHeaderExamples(t *testing.T) {
	const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	auth := func(signed, sig string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + signed + ",Signature=" + sig
	}
	tests := []struct {
		name    string
		method  string
		target  string
		body    string
		headers []string
	}{
		{"GET object with range", "GET", "http://examplebucket.s3.amazonaws.com/test.txt", "", []string{
			"Range", "bytes=0-9",
			"X-Amz-Content-Sha256", emptyHash,
			"X-Amz-Date", "20130524T000000Z",
			"Authorization", auth("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
		}},
		{"PUT object with storage class", "PUT", "http://examplebucket.s3.amazonaws.com/test%24file.text", "Welcome to Amazon S3.", []string{
			"Date", "Fri, 24 May 2013 00:00:00 GMT",
			"X-Amz-Date", "20130524T000000Z",
			"X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			"Authorization", auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
		}},
		{"PUT object, '$' sent raw", "PUT", "http://examplebucket.s3.amazonaws.com/test$file.text", "Welcome to Amazon S3.", []string{
			"Date", "Fri, 24 May 2013 00:00:00 GMT",
			"X-Amz-Date", "20130524T000000Z",
			"X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			"Authorization", auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
		}},
		{"GET bucket lifecycle", "GET", "http://examplebucket.s3.amazonaws.com/?lifecycle", "", []string{
			"X-Amz-Content-Sha256", emptyHash,
			"X-Amz-Date", "20130524T000000Z",
			"Authorization", auth("host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
		}},
		{"GET bucket list", "GET", "http://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", "", []string{
			"X-Amz-Content-Sha256", emptyHash,
			"X-Amz-Date", "20130524T000000Z",
			"Authorization", auth("host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
		}},
	}
	v := exampleVerifier("us-east-1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := request(tc.method, tc.target, []byte(tc.body), tc.headers...)
			res, err := v.Verify(r)
			wantCode(t, err, "")
			if res.AccessKeyID != exampleAccessKey {
				t.Errorf("AccessKeyID = %q", res.AccessKeyID)
			}
			got, err := io.ReadAll(res.Body)
			if err != nil || string(got) != tc.body {
				t.Errorf("body = %q, %v; want %q", got, err, tc.body)
			}
		})
	}
}

// The presigned URL example of "Authenticating Requests: Using Query
// Parameters (AWS Signature Version 4)".
func TestAWSPresignExample(t *testing.T) {
	const target = "http://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	tests := []struct {
		name   string
		target string
		now    time.Time
		code   string
	}{
		{"valid", target, exampleTime, ""},
		{"last second", target, exampleTime.Add(24 * time.Hour), ""},
		{"expired", target, exampleTime.Add(24*time.Hour + time.Second), "AccessDenied"},
		{"not valid yet", target, exampleTime.Add(-time.Hour), "AccessDenied"},
		{"tampered expiry", strings.Replace(target, "86400", "86401", 1), exampleTime, "SignatureDoesNotMatch"},
		{"extra parameter", target + "&x-id=GetObject", exampleTime, "SignatureDoesNotMatch"},
		{"other key", strings.Replace(target, "test.txt", "test.txu", 1), exampleTime, "SignatureDoesNotMatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := exampleVerifier("us-east-1")
			v.Now = func() time.Time { return tc.now }
			res, err := v.Verify(request("GET", tc.target, nil))
			wantCode(t, err, tc.code)
			if err == nil && res.AccessKeyID != exampleAccessKey {
				t.Errorf("AccessKeyID = %q", res.AccessKeyID)
			}
			if tc.name == "expired" && !strings.Contains(err.Error(), "Request has expired") {
				t.Errorf("error %v, want Request has expired", err)
			}
		})
	}
}

// The chunked upload example of "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks": 65 KiB of
// 'a' sent as a 64 KiB chunk, a 1 KiB chunk and the final empty chunk.
var (
	streamSeed   = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	streamChunks = []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	// The trailing-header example of "Signature calculations for trailing
	// headers (chunked uploads)": the same data with a CRC32C trailer.
	trailerSeed   = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	trailerChunks = []string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	trailerSignature = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
)

func exampleStreamBody(sigs []string, trailer string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "10000;chunk-signature=%s\r\n%s\r\n", sigs[0], strings.Repeat("a", 65536))
	fmt.Fprintf(&b, "400;chunk-signature=%s\r\n%s\r\n", sigs[1], strings.Repeat("a", 1024))
	fmt.Fprintf(&b, "0;chunk-signature=%s\r\n%s\r\n", sigs[2], trailer)
	return b.Bytes()
}

func exampleStreamRequest(body []byte, trailer bool) *http.Request {
	signed, seed, mode := "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class", streamSeed, streamingPayload
	if trailer {
		signed, seed, mode = "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer", trailerSeed, streamingPayloadTrailer
	}
	h := []string{
		"X-Amz-Date", "20130524T000000Z",
		"X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
		"X-Amz-Content-Sha256", mode,
		"Content-Encoding", "aws-chunked",
		"X-Amz-Decoded-Content-Length", "66560",
		"Content-Length", fmt.Sprint(len(body)),
		"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + signed + ",Signature=" + seed,
	}
	if trailer {
		h = append(h, "X-Amz-Trailer", "x-amz-checksum-crc32c")
	}
	return request("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", body, h...)
}

func TestAWSStreamingExample(t *testing.T) {
	body := exampleStreamBody(streamChunks, "")
	if len(body) != 66824 {
		t.Fatalf("encoded length %d, the example says 66824", len(body))
	}
	res, err := exampleVerifier("us-east-1").Verify(exampleStreamRequest(body, false))
	wantCode(t, err, "")
	if res.ContentLength != 66560 {
		t.Errorf("ContentLength = %d", res.ContentLength)
	}
	got, err := io.ReadAll(res.Body)
	if err != nil || string(got) != strings.Repeat("a", 66560) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}

	for i := range streamChunks {
		sigs := append([]string(nil), streamChunks...)
		sigs[i] = strings.Repeat("0", 64)
		res, err := exampleVerifier("us-east-1").Verify(exampleStreamRequest(exampleStreamBody(sigs, ""), false))
		wantCode(t, err, "")
		_, err = io.ReadAll(res.Body)
		wantCode(t, err, "SignatureDoesNotMatch")
	}
}

func TestAWSStreamingTrailerExample(t *testing.T) {
	const trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" + "%s" + "\r\n"
	body := exampleStreamBody(trailerChunks, fmt.Sprintf(trailer, trailerSignature))
	res, err := exampleVerifier("us-east-1").Verify(exampleStreamRequest(body, true))
	wantCode(t, err, "")
	if res.Trailer() != nil {
		t.Errorf("trailer before EOF: %v", res.Trailer())
	}
	got, err := io.ReadAll(res.Body)
	if err != nil || string(got) != strings.Repeat("a", 66560) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if v := res.Trailer().Get("x-amz-checksum-crc32c"); v != "sOO8/Q==" {
		t.Errorf("trailer x-amz-checksum-crc32c = %q", v)
	}

	bad := exampleStreamBody(trailerChunks, fmt.Sprintf(trailer, strings.Repeat("1", 64)))
	res, err = exampleVerifier("us-east-1").Verify(exampleStreamRequest(bad, true))
	wantCode(t, err, "")
	_, err = io.ReadAll(res.Body)
	wantCode(t, err, "SignatureDoesNotMatch")
	if res.Trailer() != nil {
		t.Errorf("trailer after a failure: %v", res.Trailer())
	}

	// A changed trailer value breaks the trailer signature.
	forged := bytes.Replace(body, []byte("sOO8/Q=="), []byte("AAAAAA=="), 1)
	res, err = exampleVerifier("us-east-1").Verify(exampleStreamRequest(forged, true))
	wantCode(t, err, "")
	_, err = io.ReadAll(res.Body)
	wantCode(t, err, "SignatureDoesNotMatch")
}

// The signing key derivation against the documented intermediate values of
// the streaming example: chunk string to sign and signature.
func TestAWSChunkSignatureChain(t *testing.T) {
	key := signingKey(exampleSecret, "20130524", "us-east-1", "s3")
	prev := streamSeed
	for i, data := range []string{strings.Repeat("a", 65536), strings.Repeat("a", 1024), ""} {
		sts := stringToSign(chunkAlgorithm, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", prev, emptySHA256, hexSHA256(data))
		got := signHex(key, sts)
		if got != streamChunks[i] {
			t.Fatalf("chunk %d signature %s, want %s", i, got, streamChunks[i])
		}
		prev = got
	}
}
