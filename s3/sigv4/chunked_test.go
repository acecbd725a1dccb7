package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// testSigner returns a stream signer like the one Verify builds for the
// example credentials, with seed as the previous signature.
func testSigner(seed string) *streamSigner {
	return &streamSigner{
		key:     signingKey(exampleSecret, "20130524", "us-east-1", "s3"),
		amzDate: "20130524T000000Z",
		scope:   "20130524/us-east-1/s3/aws4_request",
		prev:    seed,
	}
}

// encoding describes how a test client frames a body.
type encoding struct {
	chunk    int           // data bytes per chunk
	signer   *streamSigner // nil: unsigned chunks
	trailers [][2]string   // trailing headers, in order
	eol      string        // trailer line ending, "\r\n" by default
	minio    bool          // minio-go layout: a blank line before the trailer signature
}

// encode frames data as aws-chunked the way a client does.
func encode(data []byte, e encoding) []byte {
	var b bytes.Buffer
	var prev string
	if e.signer != nil {
		prev = e.signer.prev
	}
	sign := func(chunk []byte) string {
		sum := sha256.Sum256(chunk)
		s := signHex(e.signer.key, stringToSign(chunkAlgorithm, e.signer.amzDate, e.signer.scope, prev, emptySHA256, hex.EncodeToString(sum[:])))
		prev = s
		return s
	}
	for off := 0; ; off = min(off+e.chunk, len(data)) {
		end := min(off+e.chunk, len(data))
		chunk := data[off:end]
		fmt.Fprintf(&b, "%x", len(chunk))
		if e.signer != nil {
			fmt.Fprintf(&b, ";chunk-signature=%s", sign(chunk))
		}
		b.WriteString("\r\n")
		if len(chunk) == 0 {
			break
		}
		b.Write(chunk)
		b.WriteString("\r\n")
	}
	eol := e.eol
	if eol == "" {
		eol = "\r\n"
	}
	var canon strings.Builder
	for _, t := range e.trailers {
		b.WriteString(t[0] + ":" + t[1] + eol)
		canon.WriteString(t[0] + ":" + t[1] + "\n")
	}
	if e.signer != nil && len(e.trailers) > 0 {
		if e.minio {
			b.WriteString("\r\n")
		}
		s := signHex(e.signer.key, stringToSign(trailAlgorithm, e.signer.amzDate, e.signer.scope, prev, hexSHA256(canon.String())))
		b.WriteString("x-amz-trailer-signature:" + s + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func testData(n int) []byte {
	d := make([]byte, n)
	for i := range d {
		d[i] = byte('a' + i%26)
	}
	return d
}

type decodeCase struct {
	signed   bool
	trailer  bool
	declared []string
}

func (d decodeCase) reader(body []byte, want int64) *chunkedReader {
	var s *streamSigner
	if d.signed {
		s = testSigner(streamSeed)
	}
	return newChunkedReader(io.NopCloser(bytes.NewReader(body)), want, s, d.trailer, d.declared)
}

func TestChunkedWellFormed(t *testing.T) {
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	tests := []struct {
		name string
		size int
		enc  encoding
		dec  decodeCase
	}{
		{"signed", 1000, encoding{chunk: 300, signer: testSigner(streamSeed)}, decodeCase{signed: true}},
		{"signed empty", 0, encoding{chunk: 300, signer: testSigner(streamSeed)}, decodeCase{signed: true}},
		{"signed exact chunks", 900, encoding{chunk: 300, signer: testSigner(streamSeed)}, decodeCase{signed: true}},
		{"signed trailer", 1000, encoding{chunk: 256, signer: testSigner(streamSeed), trailers: crc}, decodeCase{signed: true, trailer: true, declared: []string{"x-amz-checksum-crc32"}}},
		{"signed trailer minio-go", 1000, encoding{chunk: 256, signer: testSigner(streamSeed), trailers: crc, eol: "\n", minio: true}, decodeCase{signed: true, trailer: true, declared: []string{"x-amz-checksum-crc32"}}},
		{"unsigned trailer", 1000, encoding{chunk: 333, trailers: crc}, decodeCase{trailer: true, declared: []string{"x-amz-checksum-crc32"}}},
		{"unsigned trailer LF", 1000, encoding{chunk: 333, trailers: crc, eol: "\n"}, decodeCase{trailer: true, declared: []string{"x-amz-checksum-crc32"}}},
		{"unsigned no trailer", 10, encoding{chunk: 4}, decodeCase{trailer: true}},
		{"one big chunk", 1 << 20, encoding{chunk: 1 << 20, signer: testSigner(streamSeed)}, decodeCase{signed: true}},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"plain":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for _, tc := range tests {
		for rname, wrap := range readers {
			t.Run(tc.name+"/"+rname, func(t *testing.T) {
				data := testData(tc.size)
				body := encode(data, tc.enc)
				c := tc.dec.reader(body, int64(len(data)))
				got, err := io.ReadAll(wrap(c))
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("decoded %d bytes, want %d", len(got), len(data))
				}
				tr := c.trailerHeader()
				for _, kv := range tc.enc.trailers {
					if v := tr.Get(kv[0]); v != kv[1] {
						t.Errorf("trailer %s = %q, want %q", kv[0], v, kv[1])
					}
				}
				if len(tc.enc.trailers) == 0 && tr != nil {
					t.Errorf("unexpected trailers %v", tr)
				}
			})
		}
	}
}

// Every proper prefix of a valid body must fail with IncompleteBody, and
// what was returned before must be a prefix of the data.
func TestChunkedTruncated(t *testing.T) {
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	data := testData(40)
	for _, tc := range []struct {
		name string
		enc  encoding
		dec  decodeCase
	}{
		{"signed", encoding{chunk: 16, signer: testSigner(streamSeed)}, decodeCase{signed: true}},
		{"signed trailer", encoding{chunk: 16, signer: testSigner(streamSeed), trailers: crc}, decodeCase{signed: true, trailer: true, declared: []string{"x-amz-checksum-crc32"}}},
		{"unsigned trailer", encoding{chunk: 16, trailers: crc}, decodeCase{trailer: true, declared: []string{"x-amz-checksum-crc32"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := encode(data, tc.enc)
			for n := 0; n < len(body); n++ {
				c := tc.dec.reader(body[:n], int64(len(data)))
				got, err := io.ReadAll(c)
				wantCode(t, err, "IncompleteBody")
				if !bytes.HasPrefix(data, got) {
					t.Fatalf("cut at %d: returned bytes that are not a prefix of the data", n)
				}
				if c.trailerHeader() != nil {
					t.Fatalf("cut at %d: trailers after a failure", n)
				}
			}
		})
	}
}

func TestChunkedWrongSignature(t *testing.T) {
	data := testData(100)
	body := encode(data, encoding{chunk: 40, signer: testSigner(streamSeed)})
	// Flip one data byte of the second chunk.
	i := bytes.Index(body, data[40:80])
	body[i+5] ^= 1
	c := decodeCase{signed: true}.reader(body, 100)
	got, err := io.ReadAll(c)
	wantCode(t, err, "SignatureDoesNotMatch")
	if len(got) > 80 {
		t.Fatalf("returned %d bytes: data after the bad chunk", len(got))
	}

	// A valid body checked against another seed fails at the first chunk.
	c = newChunkedReader(io.NopCloser(bytes.NewReader(encode(data, encoding{chunk: 40, signer: testSigner(streamSeed)}))), 100, testSigner(trailerSeed), false, nil)
	got, err = io.ReadAll(c)
	wantCode(t, err, "SignatureDoesNotMatch")
	if len(got) > 40 {
		t.Fatalf("returned %d bytes past the first chunk", len(got))
	}

	// A missing chunk-signature extension.
	c = decodeCase{signed: true}.reader([]byte("3\r\nabc\r\n0\r\n\r\n"), 3)
	_, err = io.ReadAll(c)
	wantCode(t, err, "SignatureDoesNotMatch")

	// Reordering chunks breaks the chain.
	two := encode(testData(20), encoding{chunk: 10, signer: testSigner(streamSeed)})
	parts := bytes.SplitAfterN(two, []byte("\r\n"), 5) // hdr1, data1, hdr2, data2, rest
	swapped := bytes.Join([][]byte{parts[2], parts[3], parts[0], parts[1], parts[4]}, nil)
	_, err = io.ReadAll(decodeCase{signed: true}.reader(swapped, 20))
	wantCode(t, err, "SignatureDoesNotMatch")
}

func TestChunkedMalformed(t *testing.T) {
	sig := strings.Repeat("0", 64)
	declared := []string{"x-amz-checksum-crc32"}
	tests := []struct {
		name string
		body string
		want int64
		dec  decodeCase
		code string
	}{
		{"oversize chunk", "1000001\r\n", 1 << 30, decodeCase{trailer: true}, "InvalidRequest"},
		{"oversize signed chunk", "1000001;chunk-signature=" + sig + "\r\n", 1 << 30, decodeCase{signed: true}, "InvalidRequest"},
		{"huge hex", "ffffffffffffffffff\r\n", 1 << 30, decodeCase{trailer: true}, "InvalidRequest"},
		{"negative", "-1\r\n", 10, decodeCase{trailer: true}, "InvalidRequest"},
		{"not hex", "zz\r\n", 10, decodeCase{trailer: true}, "InvalidRequest"},
		{"empty size", "\r\n", 10, decodeCase{trailer: true}, "InvalidRequest"},
		{"long line", strings.Repeat("0", 5000) + "\r\n", 10, decodeCase{trailer: true}, "InvalidRequest"},
		{"long line no newline", strings.Repeat("0", 5000), 10, decodeCase{trailer: true}, "InvalidRequest"},
		{"no CRLF after data", "3\r\nabcX\r\n0\r\n\r\n", 3, decodeCase{trailer: true}, "InvalidRequest"},
		{"longer than declared", "3\r\nabc\r\n0\r\n\r\n", 2, decodeCase{trailer: true}, "InvalidRequest"},
		{"shorter than declared", "3\r\nabc\r\n0\r\n\r\n", 4, decodeCase{trailer: true}, "IncompleteBody"},
		{"undeclared trailer", "3\r\nabc\r\n0\r\nx-amz-checksum-sha1:AAAA\r\n\r\n", 3, decodeCase{trailer: true, declared: declared}, "MalformedTrailerError"},
		{"missing trailer", "3\r\nabc\r\n0\r\n\r\n", 3, decodeCase{trailer: true, declared: declared}, "MalformedTrailerError"},
		{"duplicate trailer", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", 3, decodeCase{trailer: true, declared: declared}, "MalformedTrailerError"},
		{"trailer without colon", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32\r\n\r\n", 3, decodeCase{trailer: true, declared: declared}, "MalformedTrailerError"},
		{"trailer when none allowed", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", 3, decodeCase{trailer: false}, "MalformedTrailerError"},
		{"unsigned trailer signature", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:" + sig + "\r\n\r\n", 3, decodeCase{trailer: true, declared: declared}, "MalformedTrailerError"},
		{"too many trailer lines", "0\r\n" + strings.Repeat("x-amz-checksum-crc32:A\r\n", 20), 0, decodeCase{trailer: true, declared: declared}, "MalformedTrailerError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.ReadAll(tc.dec.reader([]byte(tc.body), tc.want))
			wantCode(t, err, tc.code)
		})
	}
}

// A signed trailer stream whose trailer signature is missing fails: the
// decoder waits for the signature past the blank line (minio-go puts one
// there) and finds the end of the body instead.
func TestChunkedMissingTrailerSignature(t *testing.T) {
	body := encode(testData(10), encoding{chunk: 10, signer: testSigner(streamSeed)})
	body = append(body[:len(body)-2], "x-amz-checksum-crc32:AAAAAA==\r\n\r\n"...)
	dec := decodeCase{signed: true, trailer: true, declared: []string{"x-amz-checksum-crc32"}}
	_, err := io.ReadAll(dec.reader(body, 10))
	wantCode(t, err, "IncompleteBody")

	// With no trailer at all, the blank line ends the section at once.
	body = encode(testData(10), encoding{chunk: 10, signer: testSigner(streamSeed)})
	_, err = io.ReadAll(decodeCase{signed: true, trailer: true}.reader(body, 10))
	wantCode(t, err, "SignatureDoesNotMatch")
}

// Errors are sticky: a Read after a failure fails again, and never returns
// data or io.EOF.
func TestChunkedStickyError(t *testing.T) {
	c := decodeCase{trailer: true}.reader([]byte("3\r\nab"), 3)
	buf := make([]byte, 10)
	var first error
	for i := 0; i < 5; i++ {
		n, err := c.Read(buf)
		if err != nil && first == nil {
			first = err
		}
		if first != nil && (err != first || n != 0 && err != nil) {
			t.Fatalf("read %d after failure: %d, %v (first %v)", i, n, err, first)
		}
	}
	wantCode(t, first, "IncompleteBody")
	if c.trailerHeader() != nil {
		t.Fatal("trailers after failure")
	}
	var _ http.Header = c.trailerHeader()
}
