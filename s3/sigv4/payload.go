package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/garage-web/garage-web/s3/s3err"
)

// Values of x-amz-content-sha256 that are not a digest.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingPayload         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingPayloadTrailer  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// payloadMode is how the body of a request is protected.
type payloadMode int

const (
	modeUnsigned        payloadMode = iota // UNSIGNED-PAYLOAD
	modeHash                               // hex SHA-256 of the body
	modeChunked                            // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
	modeChunkedTrailer                     // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
	modeUnsignedTrailer                    // STREAMING-UNSIGNED-PAYLOAD-TRAILER
)

func parsePayloadMode(v string) (payloadMode, error) {
	switch v {
	case unsignedPayload:
		return modeUnsigned, nil
	case streamingPayload:
		return modeChunked, nil
	case streamingPayloadTrailer:
		return modeChunkedTrailer, nil
	case streamingUnsignedTrailer:
		return modeUnsignedTrailer, nil
	}
	if len(v) == 64 {
		if _, err := hex.DecodeString(v); err == nil {
			return modeHash, nil
		}
	}
	if strings.HasPrefix(v, "STREAMING-") {
		return 0, s3err.WithMessage(s3err.ErrNotImplemented, "x-amz-content-sha256 %q is not supported", v)
	}
	return 0, s3err.WithMessage(s3err.ErrInvalidArgument,
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value")
}

// streamSigner holds what chained chunk signatures need; nil for unsigned
// streams.
type streamSigner struct {
	key     []byte
	amzDate string
	scope   string
	prev    string // signature of the previous chunk, the seed signature at first
}

// body builds the Result for a request whose headers are authenticated
// (or anonymous, with sig nil).
func body(r *http.Request, accessKey string, mode payloadMode, payloadHash string, sig *streamSigner) (*Result, error) {
	res := &Result{AccessKeyID: accessKey, Body: r.Body, ContentLength: r.ContentLength, Trailer: noTrailer}
	if res.Body == nil {
		res.Body = http.NoBody
	}
	switch mode {
	case modeUnsigned:
		return res, nil
	case modeHash:
		want, _ := hex.DecodeString(payloadHash)
		hr := &hashReader{src: res.Body, h: sha256.New(), want: want}
		res.Body, res.PayloadSHA256 = hr, hr.verified
		return res, nil
	}
	decoded, err := decodedLength(r.Header)
	if err != nil {
		return nil, err
	}
	var trailers []string
	if mode != modeChunked {
		trailers = declaredTrailers(r.Header)
	}
	if mode == modeUnsignedTrailer {
		sig = nil
	}
	c := newChunkedReader(res.Body, decoded, sig, mode != modeChunked, trailers)
	res.Body, res.ContentLength, res.Trailer = c, decoded, c.trailerHeader
	return res, nil
}

func noTrailer() http.Header { return nil }

// decodedLength reads x-amz-decoded-content-length, required with aws-chunked.
func decodedLength(h http.Header) (int64, error) {
	v := h.Get("X-Amz-Decoded-Content-Length")
	if v == "" {
		return 0, s3err.WithMessage(s3err.ErrMissingContentLength,
			"You must provide the x-amz-decoded-content-length header with an aws-chunked payload.")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, s3err.WithMessage(s3err.ErrInvalidArgument, "x-amz-decoded-content-length %q is not a valid length", v)
	}
	return n, nil
}

// declaredTrailers lists the lower-case names in x-amz-trailer.
func declaredTrailers(h http.Header) []string {
	var names []string
	for _, v := range h.Values("X-Amz-Trailer") {
		for _, n := range strings.Split(v, ",") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

// hashReader passes a body through and checks its SHA-256 at EOF.
type hashReader struct {
	src  io.ReadCloser
	h    hash.Hash
	want []byte
	err  error
	ok   bool // the body ended and matched want
}

// verified returns the body's SHA-256 once Read returned io.EOF, the body
// having matched it; nil before or after a mismatch.
func (r *hashReader) verified() []byte {
	if !r.ok {
		return nil
	}
	return r.want
}

func (r *hashReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.src.Read(p)
	r.h.Write(p[:n])
	switch {
	case err == io.EOF:
		if got := r.h.Sum(nil); !equalBytes(got, r.want) {
			err = s3err.WithMessage(s3err.ErrXAmzContentSHA256Mismatch,
				"The provided 'x-amz-content-sha256' header does not match what was computed: got %x.", got)
		} else {
			r.ok = true
		}
		r.err = err
	case err != nil:
		err = readError(err)
		r.err = err
	}
	return n, err
}

func (r *hashReader) Close() error { return r.src.Close() }

func equalBytes(a, b []byte) bool { return string(a) == string(b) }
