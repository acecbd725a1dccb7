package sigv4

import (
	"errors"
	"fmt"
	"io"

	"github.com/garage-web/garage-web/s3/s3err"
)

// The errors of this package are S3 errors from s3err, with AWS's messages.
// They are grouped here; authKind.malformed (credential.go) builds the
// malformed-credential error of each authentication mechanism.

var (
	errUnsupportedAuth = s3err.WithMessage(s3err.ErrInvalidRequest,
		"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	errBothAuth = s3err.WithMessage(s3err.ErrInvalidArgument,
		"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	errNoDate = s3err.WithMessage(s3err.ErrAccessDenied,
		"AWS authentication requires a valid Date or x-amz-date header")
	errChunkSignature = s3err.WithMessage(s3err.ErrSignatureDoesNotMatch,
		"The chunk signature we calculated does not match the signature you provided.")
	errTrailerSignature = s3err.WithMessage(s3err.ErrSignatureDoesNotMatch,
		"The trailer signature we calculated does not match the signature you provided.")
)

// queryError is a malformed presigned-URL parameter.
func queryError(format string, args ...any) error {
	return s3err.WithMessage(s3err.ErrAuthorizationQueryParametersError, format, args...)
}

// malformedChunk is an aws-chunked framing error.
func malformedChunk(format string, args ...any) error {
	return s3err.WithMessage(s3err.ErrInvalidRequest, "Malformed aws-chunked body: "+format, args...)
}

// malformedTrailer is an error in the trailing headers of an aws-chunked body.
func malformedTrailer(format string, args ...any) error {
	return s3err.WithMessage(s3err.ErrMalformedTrailer, "The request contained trailing data that was not well-formed: "+format, args...)
}

// readError turns a failed read of the request body into an S3 error: a body
// cut short is IncompleteBody; anything else (a broken connection) is
// returned with context.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s3err.ErrIncompleteBody
	}
	return fmt.Errorf("sigv4: reading request body: %w", err)
}
