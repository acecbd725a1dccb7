package sigv4

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/garage-web/garage-web/s3/s3err"
)

// The aws-chunked body of a streaming upload is a sequence of chunks
//
//	hex-size[;chunk-signature=<64 hex>]\r\n
//	<size bytes>\r\n
//
// ending with a chunk of size 0, then the trailing headers (if any), one per
// line, then an empty line:
//
//	0;chunk-signature=<sig>\r\n
//	x-amz-checksum-crc32:<base64>\r\n
//	x-amz-trailer-signature:<sig>\r\n
//	\r\n
//
// In signed streams each chunk signature chains from the previous one,
// starting at the seed signature of the request headers; the trailer
// signature chains from the final chunk's.

// chunkedReader decodes an aws-chunked body, checking chunk and trailer
// signatures when signer is set. It reads through a small bufio.Reader and
// never holds more than one header or trailer line in memory.
type chunkedReader struct {
	src    *bufio.Reader
	closer io.Closer
	signer *streamSigner // nil for unsigned streams

	allowTrailer bool
	declared     []string // lower-case names from x-amz-trailer

	want    int64 // x-amz-decoded-content-length
	decoded int64 // data bytes returned so far

	inChunk   bool      // a chunk's data has started
	remaining int64     // data bytes left in the current chunk
	chunkHash hash.Hash // SHA-256 of the current chunk's data (signed streams)
	chunkSig  string    // signature announced for the current chunk

	done    bool
	trailer http.Header
	err     error // sticky: once set, every Read returns it
}

func newChunkedReader(body io.ReadCloser, want int64, signer *streamSigner, allowTrailer bool, declared []string) *chunkedReader {
	c := &chunkedReader{
		src:          bufio.NewReaderSize(body, 4096),
		closer:       body,
		signer:       signer,
		allowTrailer: allowTrailer,
		declared:     declared,
		want:         want,
	}
	if signer != nil {
		c.chunkHash = sha256.New()
	}
	return c
}

// Read returns decoded data. io.EOF comes only once every chunk, the
// trailer section and every signature have been read and checked.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		if c.remaining > 0 {
			n := len(p)
			if int64(n) > c.remaining {
				n = int(c.remaining)
			}
			n, err := c.src.Read(p[:n])
			c.remaining -= int64(n)
			c.decoded += int64(n)
			if c.chunkHash != nil {
				c.chunkHash.Write(p[:n])
			}
			if err != nil && (err != io.EOF || c.remaining > 0) {
				c.err = readError(err)
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err := c.next(); err != nil {
			c.err = err
		}
	}
}

// next finishes the current chunk (its CRLF and signature) and reads the
// following chunk header; after the final chunk it reads the trailers.
func (c *chunkedReader) next() error {
	if c.inChunk {
		var crlf [2]byte
		if _, err := io.ReadFull(c.src, crlf[:]); err != nil {
			return readError(err)
		}
		if crlf != [2]byte{'\r', '\n'} {
			return malformedChunk("chunk data is not followed by CRLF")
		}
		if err := c.checkChunk(); err != nil {
			return err
		}
		c.inChunk = false
	}
	line, err := c.readLine(maxChunkLine)
	if err != nil {
		return err
	}
	size, sig, err := c.parseChunkHeader(line)
	if err != nil {
		return err
	}
	if size > c.want-c.decoded {
		return malformedChunk("the chunks are longer than x-amz-decoded-content-length (%d)", c.want)
	}
	c.chunkSig = sig
	if size == 0 {
		if err := c.checkChunk(); err != nil {
			return err
		}
		if err := c.readTrailers(); err != nil {
			return err
		}
		if c.decoded != c.want {
			return s3err.WithMessage(s3err.ErrIncompleteBody,
				"The aws-chunked body holds %d bytes, x-amz-decoded-content-length says %d.", c.decoded, c.want)
		}
		c.done = true
		return nil
	}
	c.inChunk, c.remaining = true, size
	return nil
}

// parseChunkHeader parses "hex-size[;chunk-signature=sig][;ext...]".
func (c *chunkedReader) parseChunkHeader(line string) (size int64, sig string, err error) {
	sizeStr, exts, _ := strings.Cut(line, ";")
	if sizeStr == "" || len(sizeStr) > 16 {
		return 0, "", malformedChunk("invalid chunk size %q", sizeStr)
	}
	size, err = strconv.ParseInt(sizeStr, 16, 64)
	if err != nil || size < 0 {
		return 0, "", malformedChunk("invalid chunk size %q", sizeStr)
	}
	if size > MaxChunkSize {
		return 0, "", s3err.WithMessage(s3err.ErrInvalidRequest,
			"Chunk size %d exceeds the maximum of %d bytes.", size, MaxChunkSize)
	}
	if c.signer == nil {
		return size, "", nil // extensions of unsigned chunks carry nothing we use
	}
	name, value, ok := strings.Cut(exts, "=")
	if !ok || name != "chunk-signature" || !isLowerHex(value, 64) {
		return 0, "", s3err.WithMessage(s3err.ErrSignatureDoesNotMatch, "The chunk header %q carries no valid chunk-signature.", line)
	}
	return size, value, nil
}

// checkChunk verifies the signature of the chunk whose data was just read.
func (c *chunkedReader) checkChunk() error {
	if c.signer == nil {
		return nil
	}
	s := c.signer
	digest := hex.EncodeToString(c.chunkHash.Sum(nil))
	c.chunkHash.Reset()
	want := signHex(s.key, stringToSign(chunkAlgorithm, s.amzDate, s.scope, s.prev, emptySHA256, digest))
	if !equalSignatures(want, c.chunkSig) {
		return errChunkSignature
	}
	s.prev = want
	return nil
}

// readTrailers reads the trailing header section up to its empty line and
// checks the trailer signature of signed streams.
//
// Lines may end in LF or CRLF. In signed streams, empty lines before the
// trailer signature are skipped: minio-go writes one there.
func (c *chunkedReader) readTrailers() error {
	var canonical strings.Builder
	var gotSig string
	for n := 0; ; n++ {
		if n == maxTrailerLines {
			return malformedTrailer("more than %d lines", maxTrailerLines)
		}
		line, err := c.readLine(maxTrailerLine)
		if err != nil {
			return err
		}
		if line == "" {
			if c.signer != nil && c.allowTrailer && gotSig == "" && len(c.trailer) > 0 {
				continue
			}
			break
		}
		if !c.allowTrailer {
			return malformedTrailer("unexpected data after the final chunk")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return malformedTrailer("%q is not a header line", line)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			if c.signer == nil || gotSig != "" {
				return malformedTrailer("unexpected x-amz-trailer-signature")
			}
			gotSig = value
			continue
		}
		if gotSig != "" {
			return malformedTrailer("header %q after the trailer signature", name)
		}
		if !contains(c.declared, name) {
			return malformedTrailer("%q is not declared in x-amz-trailer", name)
		}
		if c.trailer == nil {
			c.trailer = http.Header{}
		}
		key := http.CanonicalHeaderKey(name)
		if _, dup := c.trailer[key]; dup {
			return malformedTrailer("%q is given twice", name)
		}
		c.trailer[key] = []string{value}
		canonical.WriteString(name + ":" + value + "\n")
	}
	for _, name := range c.declared {
		if c.trailer.Get(name) == "" {
			return malformedTrailer("the declared trailer %q is missing", name)
		}
	}
	if c.signer != nil && c.allowTrailer {
		s := c.signer
		want := signHex(s.key, stringToSign(trailAlgorithm, s.amzDate, s.scope, s.prev, hexSHA256(canonical.String())))
		if !equalSignatures(want, gotSig) {
			return errTrailerSignature
		}
		s.prev = want
	}
	return nil
}

// readLine reads one line of at most max bytes, without its LF or CRLF.
func (c *chunkedReader) readLine(max int) (string, error) {
	line, err := c.src.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > max+2 {
		return "", malformedChunk("line longer than %d bytes", max)
	}
	if err != nil {
		return "", readError(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > max {
		return "", malformedChunk("line longer than %d bytes", max)
	}
	return string(line), nil
}

// trailerHeader returns the trailing headers once the body has been read
// to its end, nil before.
func (c *chunkedReader) trailerHeader() http.Header {
	if !c.done || c.err != nil {
		return nil
	}
	return c.trailer
}

func (c *chunkedReader) Close() error { return c.closer.Close() }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
