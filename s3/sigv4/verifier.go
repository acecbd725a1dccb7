package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/garage-web/garage-web/s3/s3err"
)

// SecretLookup returns the secret key for an access key id, or an error
// wrapping s3err.ErrInvalidAccessKeyID when there is no such key. It is
// called at most once per request and must be safe for concurrent use.
type SecretLookup func(ctx context.Context, accessKeyID string) (secret string, err error)

// Verifier checks SigV4 signatures. The zero value is not usable: Lookup
// must be set.
type Verifier struct {
	Region  string           // e.g. "garage"; requests signed for another region are refused. "" accepts any region.
	Lookup  SecretLookup     // secret keys by access key id
	Now     func() time.Time // clock; nil means time.Now
	MaxSkew time.Duration    // largest request time difference; 0 means DefaultMaxSkew

	keys signingKeys // derived signing keys, by secret and scope
}

// Result is an authenticated request.
type Result struct {
	// AccessKeyID is the key that signed the request, "" when the request
	// is anonymous (no Authorization header and no X-Amz-Signature query).
	AccessKeyID string

	// Body replaces r.Body: the decoded payload. Its Read returns an error
	// wrapping s3err.ErrXAmzContentSHA256Mismatch (signed payload digest),
	// s3err.ErrSignatureDoesNotMatch (chunk or trailer signature) or
	// s3err.ErrIncompleteBody (truncated body) instead of io.EOF when the
	// body does not hold what was signed. Closing it closes r.Body.
	Body io.ReadCloser

	// ContentLength is the decoded length: x-amz-decoded-content-length for
	// aws-chunked bodies, else r.ContentLength (-1 when unknown).
	ContentLength int64

	// Trailer returns the trailing headers of an aws-chunked body (such as
	// X-Amz-Checksum-Crc32) once Body has returned io.EOF; nil before, or
	// when there are none. Call it from the goroutine that reads Body.
	Trailer func() http.Header

	// PayloadSHA256, when the request signed its payload's digest
	// (x-amz-content-sha256: hex SHA-256), returns that digest once Body
	// has returned io.EOF: the SHA-256 of every byte Body returned,
	// computed and checked by Body. It returns nil before the end, after
	// a mismatch, and is nil itself for other payloads (unsigned,
	// aws-chunked). Readers that need the body's SHA-256 (a block's
	// content address) take it from here instead of hashing it again.
	PayloadSHA256 func() []byte
}

// Verify authenticates r. On success the caller must read the body from
// Result.Body, not r.Body. Errors are *s3err.Error values, possibly wrapped,
// except errors from Lookup that are not S3 errors, which are returned
// wrapped with context.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	pairs, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, s3err.WithMessage(s3err.ErrInvalidArgument, "The query string is not well-formed: %v", err)
	}
	authz := r.Header.Values("Authorization")
	switch {
	case len(authz) > 0 && isPresigned(pairs):
		return nil, errBothAuth
	case len(authz) > 1:
		return nil, byHeader.malformed("the Authorization header is given more than once")
	case len(authz) == 1:
		return v.verifyHeader(r, authz[0], pairs)
	case isPresigned(pairs):
		return v.verifyPresigned(r, pairs)
	case isPresignedV2(pairs):
		return nil, errUnsupportedAuth
	}
	return v.anonymous(r)
}

// anonymous handles a request without authentication. Its payload may still
// be aws-chunked (SDKs send checksum trailers with anonymous credentials too)
// or carry a digest, which is checked; a signed stream cannot be anonymous.
func (v *Verifier) anonymous(r *http.Request) (*Result, error) {
	h := r.Header.Get("X-Amz-Content-Sha256")
	if h == "" {
		return body(r, "", modeUnsigned, "", nil)
	}
	mode, err := parsePayloadMode(h)
	if err != nil {
		return nil, err
	}
	if mode == modeChunked || mode == modeChunkedTrailer {
		return nil, s3err.WithMessage(s3err.ErrAccessDenied, "A signed streaming payload requires a signed request.")
	}
	return body(r, "", mode, h, nil)
}

func (v *Verifier) verifyHeader(r *http.Request, authz string, pairs []queryPair) (*Result, error) {
	a, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	t, err := headerTime(r.Header)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a.cred, t, byHeader); err != nil {
		return nil, err
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		return nil, s3err.WithMessage(s3err.ErrInvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	mode, err := parsePayloadMode(payloadHash)
	if err != nil {
		return nil, err
	}
	if err := checkUnsignedAmzHeaders(r.Header, a.signedHeaders, "x-amz-content-sha256", "x-amz-date"); err != nil {
		return nil, err
	}
	key, err := v.key(r.Context(), a.cred)
	if err != nil {
		return nil, err
	}
	amzDate := t.UTC().Format(amzDateFormat)
	if !matches(r, pairs, "", a, key, amzDate, payloadHash) {
		return nil, s3err.ErrSignatureDoesNotMatch
	}
	sig := &streamSigner{key: key, amzDate: amzDate, scope: a.cred.scope(), prev: a.signature}
	return body(r, a.cred.accessKey, mode, payloadHash, sig)
}

func (v *Verifier) verifyPresigned(r *http.Request, pairs []queryPair) (*Result, error) {
	p, err := parsePresign(pairs)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(p.cred, p.date, byQuery); err != nil {
		return nil, err
	}
	now := v.now()
	if p.date.After(now.Add(v.maxSkew())) {
		return nil, s3err.WithMessage(s3err.ErrAccessDenied, "Request is not valid yet")
	}
	if now.After(p.date.Add(p.expires)) {
		return nil, s3err.WithMessage(s3err.ErrAccessDenied, "Request has expired")
	}
	mode, err := parsePayloadMode(p.payloadHash)
	if err != nil {
		return nil, err
	}
	if mode != modeUnsigned && mode != modeHash {
		return nil, s3err.WithMessage(s3err.ErrNotImplemented, "Streaming payloads cannot be presigned.")
	}
	if err := checkUnsignedAmzHeaders(r.Header, p.signedHeaders, "x-amz-content-sha256", "x-amz-date"); err != nil {
		return nil, err
	}
	key, err := v.key(r.Context(), p.cred)
	if err != nil {
		return nil, err
	}
	if !matches(r, pairs, qSignature, p.authorization, key, p.date.Format(amzDateFormat), p.payloadHash) {
		return nil, s3err.ErrSignatureDoesNotMatch
	}
	return body(r, p.cred.accessKey, mode, p.payloadHash, nil)
}

// matches computes the signature of r for every canonical URI candidate and
// reports whether one equals the signature sent.
func matches(r *http.Request, pairs []queryPair, skipQuery string, a authorization, key []byte, amzDate, payloadHash string) bool {
	query := canonicalQuery(pairs, skipQuery)
	var hbuf [512]byte
	headers := appendCanonicalHeaders(hbuf[:0], r, a.signedHeaders)
	scope := a.cred.scope()
	sent, reencoded := canonicalURIPair(r)
	var cbuf [1024]byte
	ok := signatureMatches(key, amzDate, scope, appendCanonicalRequest(cbuf[:0], r.Method, sent, query, headers, a.signedHeaders, payloadHash), a.signature)
	if reencoded != "" {
		ok = signatureMatches(key, amzDate, scope, appendCanonicalRequest(cbuf[:0], r.Method, reencoded, query, headers, a.signedHeaders, payloadHash), a.signature) || ok
	}
	return ok
}

// checkUnsignedAmzHeaders refuses x-amz-* headers that the signature does
// not cover (as AWS does): otherwise anyone holding a presigned URL could
// add x-amz-copy-source, x-amz-acl or metadata to it. The headers in exempt
// are covered another way (the payload hash and the date are part of the
// string to sign).
func checkUnsignedAmzHeaders(h http.Header, signed []string, exempt ...string) error {
	var extra []string
	for name := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-") || contains(signed, lower) || contains(exempt, lower) {
			continue
		}
		extra = append(extra, lower)
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return s3err.WithMessage(s3err.ErrAccessDenied,
		"There were headers present in the request which were not signed: %s", strings.Join(extra, ", "))
}

// key looks up the secret of c's access key and derives the signing key.
func (v *Verifier) key(ctx context.Context, c credential) ([]byte, error) {
	if v.Lookup == nil {
		return nil, errors.New("sigv4: Verifier.Lookup is not set")
	}
	secret, err := v.Lookup(ctx, c.accessKey)
	if err != nil {
		var e *s3err.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, fmt.Errorf("sigv4: looking up access key %q: %w", c.accessKey, err)
	}
	return v.keys.get(secret, c.date, c.region, c.service), nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

func (v *Verifier) checkSkew(t time.Time) error {
	d := v.now().Sub(t)
	if d < 0 {
		d = -d
	}
	if d > v.maxSkew() {
		return s3err.WithMessage(s3err.ErrRequestTimeTooSkewed,
			"The difference between the request time (%s) and the server's time (%s) is too large.",
			t.UTC().Format(amzDateFormat), v.now().UTC().Format(amzDateFormat))
	}
	return nil
}
