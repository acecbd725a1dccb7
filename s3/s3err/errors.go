// Package s3err is the one table of S3 error codes: each error's code, HTTP
// status and default message, and the XML error document written for it.
//
// Handlers and the packages below them return *Error values (or wrap them);
// the S3 front end turns any error into a response in one place with Write.
package s3err

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
)

// Error is an S3 error: a code from the S3 API reference, the HTTP status
// that goes with it and a human-readable message.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is match two *Error values by code, so a handler may
// return WithMessage(ErrNoSuchKey, "...") and callers still test ErrNoSuchKey.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// WithMessage returns a copy of e with another message.
func WithMessage(e *Error, format string, args ...any) *Error {
	return &Error{Code: e.Code, Status: e.Status, Message: fmt.Sprintf(format, args...)}
}

func def(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// The S3 errors garage-web returns. Messages follow AWS's wording.
var (
	ErrAccessForbidden                   = def("AccessForbidden", http.StatusForbidden, "CORSResponse: This CORS request is not allowed.")
	ErrAccessDenied                      = def("AccessDenied", http.StatusForbidden, "Access Denied")
	ErrAuthorizationHeaderMalformed      = def("AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header is malformed.")
	ErrAuthorizationQueryParametersError = def("AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter.")
	ErrBadDigest                         = def("BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum value that you specified did not match what the server received.")
	ErrBucketAlreadyExists               = def("BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available.")
	ErrBucketAlreadyOwnedByYou           = def("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	ErrBucketNotEmpty                    = def("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty.")
	ErrEntityTooLarge                    = def("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	ErrEntityTooSmall                    = def("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size.")
	ErrExpiredToken                      = def("ExpiredToken", http.StatusBadRequest, "The provided token has expired.")
	ErrIncompleteBody                    = def("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	ErrInternalError                     = def("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	ErrInvalidAccessKeyID                = def("InvalidAccessKeyId", http.StatusForbidden, "The AWS access key ID you provided does not exist in our records.")
	ErrInvalidArgument                   = def("InvalidArgument", http.StatusBadRequest, "Invalid argument.")
	ErrInvalidBucketName                 = def("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	ErrInvalidDigest                     = def("InvalidDigest", http.StatusBadRequest, "The Content-MD5 or checksum value that you specified is not valid.")
	ErrInvalidPart                       = def("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.")
	ErrInvalidPartOrder                  = def("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	ErrInvalidRange                      = def("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable")
	ErrInvalidRequest                    = def("InvalidRequest", http.StatusBadRequest, "Invalid Request")
	ErrInvalidTag                        = def("InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag.")
	ErrInvalidStorageClass               = def("InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid.")
	ErrKeyTooLong                        = def("KeyTooLongError", http.StatusBadRequest, "Your key is too long.")
	ErrMalformedXML                      = def("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	ErrMalformedPOSTRequest              = def("MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data.")
	ErrMalformedTrailer                  = def("MalformedTrailerError", http.StatusBadRequest, "The request contained trailing data that was not well-formed or did not conform to our published schema.")
	ErrMetadataTooLarge                  = def("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size.")
	ErrMethodNotAllowed                  = def("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	ErrMissingContentLength              = def("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	ErrMissingSecurityHeader             = def("MissingSecurityHeader", http.StatusBadRequest, "Your request is missing a required header.")
	ErrNoSuchBucket                      = def("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist.")
	ErrNoSuchCORSConfiguration           = def("NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist.")
	ErrNoSuchKey                         = def("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	ErrNoSuchTagSet                      = def("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist")
	ErrNoSuchUpload                      = def("NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.")
	ErrNoSuchWebsiteConfiguration        = def("NoSuchWebsiteConfiguration", http.StatusNotFound, "The specified bucket does not have a website configuration.")
	ErrNotImplemented                    = def("NotImplemented", http.StatusNotImplemented, "A header you provided implies functionality that is not implemented.")
	ErrPreconditionFailed                = def("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the preconditions you specified did not hold.")
	ErrRequestTimeTooSkewed              = def("RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the server's time is too large.")
	ErrSignatureDoesNotMatch             = def("SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	ErrXAmzContentSHA256Mismatch         = def("XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	ErrConditionalRequestConflict        = def("ConditionalRequestConflict", http.StatusConflict, "A conflicting operation occurred. Retry the request.")
	ErrRequestHeaderSectionTooLarge      = def("RequestHeaderSectionTooLarge", http.StatusBadRequest, "Your request header section exceeds the maximum allowed size.")
	ErrInvalidEncodingMethod             = def("InvalidArgument", http.StatusBadRequest, "Invalid Encoding Method specified in Request")
	ErrTooManyParts                      = def("InvalidArgument", http.StatusBadRequest, "Part number must be an integer between 1 and 10000, inclusive.")
	ErrNotModified                       = def("NotModified", http.StatusNotModified, "Not Modified")
	ErrRequestTimeout                    = def("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period.")
	ErrInvalidPartNumber                 = def("InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable")
	ErrInsufficientStorage               = def("ServiceUnavailable", http.StatusServiceUnavailable, "The storage of this node is full: the request was not stored. Free space or add capacity, then retry.")
	// ErrServiceUnavailable: too few replicas answered (no write quorum, no
	// read quorum). Clients retry 503 answers with a backoff.
	ErrServiceUnavailable = def("ServiceUnavailable", http.StatusServiceUnavailable, "Too few storage nodes answered. Please try again.")
)

// errorDocument is the S3 XML error body.
type errorDocument struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// From returns the *Error inside err, or ErrInternalError when err carries
// no S3 error (the caller should log the original).
func From(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return ErrInternalError, false
}

// Write writes the XML error document for e. HEAD requests and 304 answers
// get no body, as S3 does.
func Write(w http.ResponseWriter, r *http.Request, e *Error, requestID string) {
	h := w.Header()
	h.Set("x-amz-request-id", requestID)
	if e.Status == http.StatusNotModified || r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	h.Set("Content-Type", "application/xml")
	body, _ := xml.Marshal(errorDocument{
		Code: e.Code, Message: e.Message, Resource: r.URL.Path,
		RequestID: requestID, HostID: requestID,
	})
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
