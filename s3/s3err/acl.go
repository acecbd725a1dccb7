package s3err

import "net/http"

// Errors of access control lists and bucket policies.
var (
	ErrMalformedPolicy    = def("MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'")
	ErrNoSuchBucketPolicy = def("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist")
	ErrMalformedACL       = def("MalformedACLError", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema")
	ErrUnresolvableGrant  = def("UnresolvableGrantByEmailAddress", http.StatusBadRequest, "The email address you provided does not match any account on record.")
	ErrInvalidGrantee     = def("InvalidArgument", http.StatusBadRequest, "Invalid id")
	ErrPolicyTooLarge     = def("PolicyTooLarge", http.StatusBadRequest, "Policy exceeds the maximum allowed document size.")
)
