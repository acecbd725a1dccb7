package sigv4

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/s3/s3err"
)

func mustS3Error(t *testing.T, err error) {
	t.Helper()
	var e *s3err.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an S3 error", err)
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("a", 64))
	f.Add("AWS4-HMAC-SHA256 Signature=" + strings.Repeat("0", 64) + ",Credential=k/20000101/x/s3/aws4_request,SignedHeaders=a;host")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
	f.Add("AWS4-HMAC-SHA256 Credential=,,,==")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err != nil {
			mustS3Error(t, err)
			return
		}
		if !isLowerHex(a.signature, 64) || a.cred.accessKey == "" || !contains(a.signedHeaders, "host") {
			t.Fatalf("accepted an invalid header %q: %+v", s, a)
		}
		// The parsed value renders back to a header that parses the same.
		again := algorithm + " Credential=" + a.cred.accessKey + "/" + a.cred.scope() +
			", SignedHeaders=" + strings.Join(a.signedHeaders, ";") + ", Signature=" + a.signature
		b, err := parseAuthorization(again)
		if err != nil || b.cred != a.cred || b.signature != a.signature || strings.Join(b.signedHeaders, ";") != strings.Join(a.signedHeaders, ";") {
			t.Fatalf("%q parsed as %+v, rendered %q, reparsed %+v, %v", s, a, again, b, err)
		}
	})
}

func FuzzParsePresign(f *testing.F) {
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/20130524/r/s3/aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host;x-amz-meta-a&X-Amz-Signature=00&prefix=a+b%20c&uploads")
	f.Add("X-Amz-Expires=-1&X-Amz-Expires=2&%zz=1&a=%")
	f.Fuzz(func(t *testing.T, raw string) {
		pairs, err := parseQuery(raw)
		if err != nil {
			return
		}
		// The canonical query string is a fixed point of parse + canonicalize.
		cq := canonicalQuery(pairs, "")
		again, err := parseQuery(cq)
		if err != nil || canonicalQuery(again, "") != cq {
			t.Fatalf("canonical query %q of %q does not round-trip: %v", cq, raw, err)
		}
		p, err := parsePresign(pairs)
		if err != nil {
			mustS3Error(t, err)
			return
		}
		if p.expires < 0 || p.expires > MaxPresignExpires || !isLowerHex(p.signature, 64) || !contains(p.signedHeaders, "host") {
			t.Fatalf("accepted invalid presign parameters %q: %+v", raw, p)
		}
	})
}

func FuzzChunkedDecoder(f *testing.F) {
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	f.Add(encode(testData(40), encoding{chunk: 16}), uint16(40), uint8(0))
	f.Add(encode(testData(40), encoding{chunk: 16, trailers: crc}), uint16(40), uint8(0))
	f.Add(encode(testData(40), encoding{chunk: 16, signer: testSigner(streamSeed)}), uint16(40), uint8(1))
	f.Add(encode(testData(40), encoding{chunk: 16, signer: testSigner(streamSeed), trailers: crc}), uint16(40), uint8(2))
	f.Add(encode(testData(3), encoding{chunk: 1, signer: testSigner(streamSeed), trailers: crc, eol: "\n", minio: true}), uint16(3), uint8(2))
	f.Add([]byte("0\r\n\r\n"), uint16(0), uint8(0))
	f.Add([]byte("1000001\r\n"), uint16(1), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, want uint16, mode uint8) {
		dec := decodeCase{declared: []string{"x-amz-checksum-crc32"}}
		switch mode % 3 {
		case 0:
			dec.trailer = true
		case 1:
			dec.signed = true
		case 2:
			dec.signed, dec.trailer = true, true
		}
		c := dec.reader(body, int64(want))
		var out bytes.Buffer
		buf := make([]byte, 7)
		var err error
		for i := 0; ; i++ {
			if i > 2*len(body)+10 {
				t.Fatalf("no progress after %d reads", i)
			}
			var n int
			n, err = c.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if int64(out.Len()) > int64(want) {
			t.Fatalf("decoded %d bytes, more than the declared %d", out.Len(), want)
		}
		if out.Len() > len(body) {
			t.Fatalf("decoded %d bytes from a %d byte body", out.Len(), len(body))
		}
		if err == io.EOF {
			if int64(out.Len()) != int64(want) {
				t.Fatalf("EOF after %d bytes, declared %d", out.Len(), want)
			}
			if dec.trailer && c.trailerHeader().Get("x-amz-checksum-crc32") == "" {
				t.Fatalf("EOF without the declared trailer")
			}
			return
		}
		mustS3Error(t, err)
		if c.trailerHeader() != nil {
			t.Fatalf("trailers after error %v", err)
		}
	})
}
