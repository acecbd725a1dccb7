package s3

import (
	"errors"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/s3/s3err"
)

// checksumError is the S3 error for a refused upload digest, with the
// checksum package's message.
func checksumError(e *checksum.Error) *s3err.Error {
	code := s3err.ErrInvalidRequest
	switch {
	case errors.Is(e.Kind, checksum.ErrInvalidDigest):
		code = s3err.ErrInvalidDigest
	case errors.Is(e.Kind, checksum.ErrBadDigest):
		code = s3err.ErrBadDigest
	}
	return s3err.WithMessage(code, "%s", e.Message)
}
