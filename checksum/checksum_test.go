package checksum

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

func b64hex(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// The standard check values (the digest of "123456789") of each algorithm,
// and the CRC32C of the AWS trailing-checksum example (66560 × 'a').
var vectors = []struct {
	alg, input, want string
}{
	{CRC32, "123456789", b64hex("cbf43926")},
	{CRC32C, "123456789", b64hex("e3069283")},
	{CRC64NVME, "123456789", b64hex("ae8b14860a799888")},
	{SHA1, "123456789", b64hex("f7c3bc1d808e04732adf679965ccc34ca7ae3441")},
	{SHA256, "123456789", b64hex("15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225")},
	{CRC32, "", b64hex("00000000")},
	{SHA256, "", b64hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
	{CRC32C, strings.Repeat("a", 66560), "sOO8/Q=="},
}

const md5Of123456789 = "25f9e794323b453885f5181f1b624d0b"

// code names the kind of a refusal as the S3 error code it becomes.
func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		switch e.Kind {
		case ErrInvalidDigest:
			return "InvalidDigest"
		case ErrBadDigest:
			return "BadDigest"
		case ErrInvalidRequest:
			return "InvalidRequest"
		}
		return "unknown kind " + e.Kind.Error()
	}
	if err != nil && err != io.EOF {
		return "not an S3 error: " + err.Error()
	}
	return ""
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.alg, func(t *testing.T) {
			h, err := NewHash(v.alg)
			if err != nil {
				t.Fatal(err)
			}
			h.Write([]byte(v.input))
			if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != v.want {
				t.Fatalf("%s(%.20q) = %s, want %s", v.alg, v.input, got, v.want)
			}
			if Size(v.alg) != h.Size() {
				t.Errorf("Size(%s) = %d, hash size %d", v.alg, Size(v.alg), h.Size())
			}

			// Through a Reader, with the value in its header.
			hdr := http.Header{}
			hdr.Set(Header(v.alg), v.want)
			r, err := New(iotest.HalfReader(strings.NewReader(v.input)), hdr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := io.ReadAll(r); err != nil || string(b) != v.input {
				t.Fatalf("read %d bytes, %v", len(b), err)
			}
			if got := r.Checksums()[v.alg]; got != v.want {
				t.Errorf("Checksums()[%s] = %q", v.alg, got)
			}
			if r.Size() != int64(len(v.input)) {
				t.Errorf("Size() = %d", r.Size())
			}
		})
	}
}

func TestNames(t *testing.T) {
	for _, alg := range Algorithms() {
		if got, ok := Parse(strings.ToLower(alg)); !ok || got != alg {
			t.Errorf("Parse(%q) = %q, %v", strings.ToLower(alg), got, ok)
		}
	}
	if Header("crc64nvme") != "x-amz-checksum-crc64nvme" || Header(SHA256) != "x-amz-checksum-sha256" || Header("md5") != "" {
		t.Error("Header names")
	}
	if _, err := NewHash("MD5"); err == nil {
		t.Error("NewHash(MD5) accepted")
	}
}

func TestReader(t *testing.T) {
	const body = "123456789"
	md5sum := b64hex(md5Of123456789)
	crc := b64hex("cbf43926")
	trailer := func(name, value string) func() http.Header {
		return func() http.Header { return http.Header{http.CanonicalHeaderKey(name): {value}} }
	}
	tests := []struct {
		name     string
		headers  map[string]string
		trailer  func() http.Header
		newCode  string // error from New
		readCode string // error at EOF
		sums     map[string]string
	}{
		{"nothing declared", nil, nil, "", "", map[string]string{}},
		{"content-md5", map[string]string{"Content-MD5": md5sum}, nil, "", "", map[string]string{}},
		{"content-md5 mismatch", map[string]string{"Content-MD5": b64hex(strings.Repeat("00", 16))}, nil, "", "BadDigest", nil},
		{"content-md5 not base64", map[string]string{"Content-MD5": "!!"}, nil, "InvalidDigest", "", nil},
		{"content-md5 wrong length", map[string]string{"Content-MD5": crc}, nil, "InvalidDigest", "", nil},
		{"checksum header", map[string]string{"x-amz-checksum-crc32": crc}, nil, "", "", map[string]string{CRC32: crc}},
		{"checksum and md5", map[string]string{"x-amz-checksum-crc32": crc, "Content-MD5": md5sum}, nil, "", "", map[string]string{CRC32: crc}},
		{"checksum mismatch", map[string]string{"x-amz-checksum-crc32": b64hex("cbf43927")}, nil, "", "BadDigest", nil},
		{"checksum wrong length", map[string]string{"x-amz-checksum-crc32": b64hex("cbf4392600")}, nil, "InvalidRequest", "", nil},
		{"checksum not base64", map[string]string{"x-amz-checksum-sha256": "not base64!"}, nil, "InvalidRequest", "", nil},
		{"two checksums", map[string]string{"x-amz-checksum-crc32": crc, "x-amz-checksum-crc32c": b64hex("e3069283")}, nil, "InvalidRequest", "", nil},
		{"unknown checksum", map[string]string{"x-amz-checksum-md5": md5sum}, nil, "InvalidRequest", "", nil},
		{"algorithm only", map[string]string{"x-amz-sdk-checksum-algorithm": "crc64nvme"}, nil, "", "", map[string]string{CRC64NVME: b64hex("ae8b14860a799888")}},
		{"checksum-algorithm only", map[string]string{"x-amz-checksum-algorithm": "SHA1"}, nil, "", "", map[string]string{SHA1: b64hex("f7c3bc1d808e04732adf679965ccc34ca7ae3441")}},
		{"algorithm agrees", map[string]string{"x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": crc}, nil, "", "", map[string]string{CRC32: crc}},
		{"algorithm disagrees", map[string]string{"x-amz-sdk-checksum-algorithm": "SHA256", "x-amz-checksum-crc32": crc}, nil, "InvalidRequest", "", nil},
		{"algorithm unknown", map[string]string{"x-amz-sdk-checksum-algorithm": "MD5"}, nil, "InvalidRequest", "", nil},
		{"type and mode are not values", map[string]string{"x-amz-checksum-type": "COMPOSITE", "x-amz-checksum-mode": "ENABLED"}, nil, "", "", map[string]string{}},
		{"trailer", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, trailer("x-amz-checksum-crc32", crc), "", "", map[string]string{CRC32: crc}},
		{"trailer mismatch", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, trailer("x-amz-checksum-crc32", b64hex("00000000")), "", "BadDigest", nil},
		{"trailer malformed", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, trailer("x-amz-checksum-crc32", "zz"), "", "InvalidRequest", nil},
		{"trailer missing", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, func() http.Header { return nil }, "", "InvalidRequest", nil},
		{"trailer without func", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, nil, "", "InvalidRequest", nil},
		{"trailer and header", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-checksum-sha1": b64hex("f7c3bc1d808e04732adf679965ccc34ca7ae3441")}, nil, "InvalidRequest", "", nil},
		{"trailer with md5 mismatch", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "Content-MD5": b64hex(strings.Repeat("11", 16))}, trailer("x-amz-checksum-crc32", crc), "", "BadDigest", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			r, err := New(strings.NewReader(body), h, tc.trailer)
			if got := code(err); got != tc.newCode {
				t.Fatalf("New: %v, want %q", err, tc.newCode)
			}
			if err != nil {
				return
			}
			got, err := io.ReadAll(r)
			if c := code(err); c != tc.readCode {
				t.Fatalf("read error %v, want %q", err, tc.readCode)
			}
			if string(got) != body {
				t.Fatalf("read %q", got)
			}
			if hex.EncodeToString(r.MD5()) != md5Of123456789 {
				t.Errorf("MD5() = %x", r.MD5())
			}
			// The error is sticky.
			if _, again := r.Read(make([]byte, 1)); again != err && !(err == nil && again == io.EOF) {
				t.Errorf("second read: %v, first %v", again, err)
			}
			if tc.sums != nil {
				sums := r.Checksums()
				if len(sums) != len(tc.sums) {
					t.Fatalf("Checksums() = %v, want %v", sums, tc.sums)
				}
				for k, v := range tc.sums {
					if sums[k] != v {
						t.Errorf("Checksums()[%s] = %q, want %q", k, sums[k], v)
					}
				}
			}
		})
	}
}

func TestCombine(t *testing.T) {
	p1 := crc32.ChecksumIEEE([]byte("part one"))
	p2 := crc32.ChecksumIEEE([]byte("part two"))
	raw := []byte{byte(p1 >> 24), byte(p1 >> 16), byte(p1 >> 8), byte(p1), byte(p2 >> 24), byte(p2 >> 16), byte(p2 >> 8), byte(p2)}
	whole := crc32.ChecksumIEEE(raw)
	want := base64.StdEncoding.EncodeToString([]byte{byte(whole >> 24), byte(whole >> 16), byte(whole >> 8), byte(whole)}) + "-2"
	if got := Combine(CRC32, [][]byte{raw[:4], raw[4:]}); got != want {
		t.Fatalf("Combine = %s, want %s", got, want)
	}
	if Combine("MD5", nil) != "" {
		t.Error("Combine accepted an unknown algorithm")
	}
	if got := Combine(SHA256, nil); !strings.HasSuffix(got, "-0") {
		t.Errorf("Combine of no parts = %s", got)
	}
}

// A Reader never returns io.EOF for a body that fails to read to its end.
func TestReaderSourceError(t *testing.T) {
	h := http.Header{}
	h.Set("Content-MD5", b64hex(md5Of123456789))
	boom := errors.New("connection reset")
	r, err := New(io.MultiReader(strings.NewReader("1234"), iotest.ErrReader(boom)), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, boom) {
		t.Fatalf("read error %v, want %v", err, boom)
	}
	if r.MD5() != nil {
		t.Error("MD5 before the end of the body")
	}
}
