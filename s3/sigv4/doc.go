// Package sigv4 authenticates S3 requests signed with AWS Signature Version 4
// and decodes the aws-chunked request bodies that go with streaming signatures.
//
// # Basics
//
// A Verifier checks one request at a time and returns a Result whose Body
// replaces r.Body. Three forms of authentication are understood:
//
//   - the Authorization header (AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...);
//   - presigned URLs (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
//     X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature query parameters);
//   - browser POST forms, through VerifyPostPolicy and PostPolicy.Check.
//
// A request with neither an Authorization header nor signature query
// parameters is anonymous: Verify returns a Result with an empty AccessKeyID
// and lets the caller decide what anonymous users may do.
//
// The x-amz-content-sha256 header selects how the body is protected:
//
//	UNSIGNED-PAYLOAD                            body passed through
//	<64 hex digits>                             body hashed, compared at EOF
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD          aws-chunked, every chunk signed
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  same, plus signed trailing headers
//	STREAMING-UNSIGNED-PAYLOAD-TRAILER          aws-chunked, unsigned trailing headers
//
// # Caveats
//
// The body is not authenticated until Result.Body.Read returns io.EOF. Data is
// streamed as it arrives (memory stays bounded by the chunk reader's small
// buffer), so a signature or hash failure is reported by the Read that follows
// the last byte of the offending chunk or body. Callers must discard
// everything they read when any Read returns an error other than io.EOF.
//
// Errors are *s3err.Error values (possibly wrapped): test them with
// errors.Is against the s3err variables, or turn them into responses with
// s3err.From. An error from the SecretLookup that is not an S3 error is
// returned wrapped, for the caller to log and answer as InternalError.
//
// Session tokens (X-Amz-Security-Token) and SigV4a (AWS4-ECDSA-P256-SHA256)
// are not supported; neither is the event-stream payload mode.
//
// A Verifier holds no mutable state and is safe for concurrent use; its
// fields must not be changed while requests are being verified.
package sigv4

import "time"

// Limits. They bound the memory and the time one request can take from the
// verifier, whatever the client sends.
const (
	// DefaultMaxSkew is the largest difference allowed between the request
	// time and the server clock when Verifier.MaxSkew is zero (as in AWS).
	DefaultMaxSkew = 15 * time.Minute

	// MaxPresignExpires is the longest validity of a presigned URL (as in AWS).
	MaxPresignExpires = 7 * 24 * time.Hour

	// MaxChunkSize is the largest aws-chunked chunk accepted. SDKs send 64 KiB
	// chunks; a larger one is refused before any of it is read.
	MaxChunkSize = 16 << 20

	// maxChunkLine bounds a chunk header line ("10000;chunk-signature=<64 hex>").
	maxChunkLine = 1024

	// maxTrailerLine and maxTrailerLines bound the trailing header section.
	maxTrailerLine  = 1024
	maxTrailerLines = 16

	// maxPolicySize bounds the base64 POST policy document.
	maxPolicySize = 64 << 10
)
