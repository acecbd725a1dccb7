package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"hash"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strings"
)

// Reader passes an upload body through, computing its MD5 and the requested
// checksum, and verifies them against what the client declared when the
// body ends.
type Reader struct {
	src  io.Reader
	md5  hash.Hash
	size int64

	wantMD5 []byte // Content-MD5, nil if absent

	alg     string    // requested algorithm, "" if none
	h       hash.Hash // its hash
	want    []byte    // its declared value from a header, nil if none or trailing
	trailer string    // header name of a trailing checksum, "" if none
	trailFn func() http.Header

	async bool       // hash past asyncAfter bytes on a goroutine (pipeline.go)
	q     *hashQueue // nil until then

	md5Sum []byte
	sum    []byte
	done   bool
	err    error // sticky error after the end of the body
}

// New reads Content-MD5 and the x-amz-checksum-* headers of h (or, when the
// checksum comes in a trailer, the x-amz-trailer name and later the value
// from trailer(), which must be non-nil once body has returned io.EOF) and
// returns a Reader over body.
//
// A malformed Content-MD5 is ErrInvalidDigest, a malformed checksum
// value ErrInvalidRequest (as S3 answers); an
// unknown algorithm or several checksums at once are ErrInvalidRequest.
func New(body io.Reader, h http.Header, trailer func() http.Header) (*Reader, error) {
	r := &Reader{src: body, md5: md5.New(), trailFn: trailer, async: runtime.GOMAXPROCS(0) >= asyncMinProcs}
	if vs := h.Values("Content-Md5"); len(vs) > 0 {
		sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vs[0]))
		if err != nil || len(sum) != md5.Size || len(vs) > 1 {
			return nil, refuse(ErrInvalidDigest, "The Content-MD5 you specified is not valid.")
		}
		r.wantMD5 = sum
	}

	var declared []string // algorithms with a value in a header or trailer
	for name, vs := range h {
		alg, ok, err := checksumHeader(name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		want, err := decode(alg, strings.Join(vs, ","))
		if err != nil {
			return nil, err
		}
		declared = append(declared, alg)
		r.alg, r.want = alg, want
	}
	for _, v := range h.Values("X-Amz-Trailer") {
		for _, name := range strings.Split(v, ",") {
			alg, ok, err := checksumHeader(strings.TrimSpace(name))
			if err != nil {
				return nil, err
			}
			if ok {
				declared = append(declared, alg)
				r.alg, r.want, r.trailer = alg, nil, Header(alg)
			}
		}
	}
	if len(declared) > 1 {
		sort.Strings(declared)
		return nil, refuse(ErrInvalidRequest,
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed (%s).", strings.Join(declared, ", "))
	}
	for _, name := range []string{"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm"} {
		v := h.Get(name)
		if v == "" {
			continue
		}
		alg, ok := Parse(v)
		if !ok {
			return nil, refuse(ErrInvalidRequest, "Value for %s header is invalid.", strings.ToLower(name))
		}
		if r.alg != "" && r.alg != alg {
			return nil, refuse(ErrInvalidRequest,
				"Value for %s header is invalid: it names %s but the checksum given is %s.", strings.ToLower(name), alg, r.alg)
		}
		r.alg = alg
	}
	if r.alg != "" {
		r.h, _ = NewHash(r.alg)
	}
	return r, nil
}

// checksumHeader recognises an x-amz-checksum-<alg> header name. Other
// x-amz-checksum-* headers (algorithm, type, mode) are not values.
func checksumHeader(name string) (alg string, ok bool, err error) {
	lower := strings.ToLower(name)
	suffix, found := strings.CutPrefix(lower, "x-amz-checksum-")
	if !found {
		return "", false, nil
	}
	switch suffix {
	case "algorithm", "type", "mode":
		return "", false, nil
	}
	alg, ok = Parse(suffix)
	if !ok {
		return "", false, refuse(ErrInvalidRequest, "The checksum header %s is not supported.", lower)
	}
	return alg, true, nil
}

// decode reads a base64 checksum value of alg.
func decode(alg, v string) ([]byte, error) {
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(sum) != Size(alg) {
		return nil, refuse(ErrInvalidRequest, "Value for %s header is invalid.", Header(alg))
	}
	return sum, nil
}

// Read reads from the body. At the end of the body it checks Content-MD5 and
// the checksum: a mismatch is returned instead of io.EOF, as an *Error of
// kind ErrBadDigest (ErrInvalidRequest for a missing or malformed trailing
// value).
func (r *Reader) Read(p []byte) (int, error) {
	if r.done {
		return 0, r.err
	}
	n, err := r.src.Read(p)
	r.size += int64(n)
	r.hash(p[:n])
	if err == io.EOF {
		if r.q != nil {
			r.q.wait()
		}
		r.done = true
		r.err = r.finish()
		err = r.err
	}
	return n, err
}

// hash adds p to the sums: in the calling goroutine for the first
// asyncAfter bytes, then through the hashing goroutine (pipeline.go).
func (r *Reader) hash(p []byte) {
	if len(p) == 0 {
		return
	}
	if r.q == nil && r.async && r.size > asyncAfter {
		if r.h != nil {
			r.q = newHashQueue(r.md5, r.h)
		} else {
			r.q = newHashQueue(r.md5)
		}
	}
	if r.q != nil {
		r.q.add(p)
		return
	}
	r.md5.Write(p)
	if r.h != nil {
		r.h.Write(p)
	}
}

// finish computes the sums and compares them with the declared values.
func (r *Reader) finish() error {
	r.md5Sum = r.md5.Sum(nil)
	if r.h != nil {
		r.sum = r.h.Sum(nil)
	}
	if r.wantMD5 != nil && !bytes.Equal(r.md5Sum, r.wantMD5) {
		return refuse(ErrBadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	want := r.want
	if r.trailer != "" {
		var t http.Header
		if r.trailFn != nil {
			t = r.trailFn()
		}
		v := t.Get(r.trailer)
		if v == "" {
			return refuse(ErrInvalidRequest, "The trailing header %s declared in x-amz-trailer was not received.", r.trailer)
		}
		var err error
		if want, err = decode(r.alg, v); err != nil {
			return err
		}
	}
	if want != nil && !bytes.Equal(r.sum, want) {
		return refuse(ErrBadDigest, "The %s you specified did not match the calculated checksum.", Header(r.alg))
	}
	return io.EOF
}

// MD5 returns the MD5 of the body, once Read has returned io.EOF (nil before).
func (r *Reader) MD5() []byte { return r.md5Sum }

// Checksums returns, once Read has returned io.EOF, the checksum of the
// algorithm the client asked for, as {"CRC32": "<base64>"}; an empty map
// when it asked for none or before the end of the body. Store the values
// and return them as Header(alg) headers.
func (r *Reader) Checksums() map[string]string {
	m := map[string]string{}
	if r.sum != nil {
		m[r.alg] = base64.StdEncoding.EncodeToString(r.sum)
	}
	return m
}

// Algorithm returns the algorithm the client asked for, "" if none.
func (r *Reader) Algorithm() string { return r.alg }

// Size returns the number of bytes read so far.
func (r *Reader) Size() int64 { return r.size }
