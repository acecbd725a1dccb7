package sigv2

import "github.com/garage-web/garage-web/s3/s3err"

// The errors of this package are S3 errors from s3err, with AWS's messages.

var (
	errNoDate = s3err.WithMessage(s3err.ErrAccessDenied,
		"AWS authentication requires a valid Date or x-amz-date header")
	errExpired  = s3err.WithMessage(s3err.ErrAccessDenied, "Request has expired")
	errBothAuth = s3err.WithMessage(s3err.ErrInvalidArgument,
		"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
)

// malformedHeader is an Authorization header that is not "AWS id:signature".
func malformedHeader(format string, args ...any) error {
	return s3err.WithMessage(s3err.ErrInvalidArgument, "Authorization header is invalid -- one and only one ' ' (space) required: "+format, args...)
}

// queryError is a malformed presigned-URL parameter.
func queryError(format string, args ...any) error {
	return s3err.WithMessage(s3err.ErrAccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters: "+format, args...)
}
