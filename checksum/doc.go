// Package checksum verifies the integrity headers of S3 uploads: Content-MD5
// and the x-amz-checksum-* family (CRC32, CRC32C, CRC64NVME, SHA1, SHA256),
// whether their value comes in a header or, with aws-chunked uploads, in a
// trailing header named by x-amz-trailer.
//
// A Reader wraps an upload body. It always computes the MD5 (the ETag of a
// single-part object) and the checksum the client asked for, and reports a
// mismatch as the error of the Read that reaches the end of the body, so
// that the caller never commits a corrupted object.
//
// Checksum values are the big-endian digest bytes, base64-encoded, as in the
// x-amz-checksum-* headers.
//
// It also computes the checksum of a completed multipart upload from its
// parts' checksums: Composite (COMPOSITE, "-N") and FullObject (the CRC of
// the whole object, FULL_OBJECT).
//
// The package sits below the model and every front end (the S3 API, the
// web endpoint's uploads) and knows no protocol's errors: refusals are
// *Error values of a kind (ErrInvalidDigest, ErrBadDigest,
// ErrInvalidRequest) that each front end maps to its own answer.
package checksum
