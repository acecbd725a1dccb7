package sigv4

import (
	"strconv"
	"time"
)

// Query parameter names of a presigned URL.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qContentSHA256 = "X-Amz-Content-Sha256"
)

// presigned is the authentication carried by a presigned URL.
type presigned struct {
	authorization
	date        time.Time
	expires     time.Duration
	payloadHash string // X-Amz-Content-Sha256, or UNSIGNED-PAYLOAD
}

// isPresigned reports whether the query asks for query-string authentication.
func isPresigned(pairs []queryPair) bool {
	for _, p := range pairs {
		switch p.key {
		case qAlgorithm, qCredential, qSignature:
			return true
		}
	}
	return false
}

// isPresignedV2 reports whether the query carries a Signature Version 2
// presigned URL, which is not supported.
func isPresignedV2(pairs []queryPair) bool {
	for _, p := range pairs {
		if p.key == "AWSAccessKeyId" || p.key == "Signature" {
			return true
		}
	}
	return false
}

// parsePresign extracts and checks the X-Amz-* authentication parameters.
// It checks their syntax only; scope, time and signature are checked by the
// Verifier.
func parsePresign(pairs []queryPair) (presigned, error) {
	vals := map[string]string{}
	for _, p := range pairs {
		switch p.key {
		case qAlgorithm, qCredential, qDate, qExpires, qSignedHeaders, qSignature, qContentSHA256:
			if _, dup := vals[p.key]; dup {
				return presigned{}, queryError("%s is given more than once", p.key)
			}
			vals[p.key] = p.value
		}
	}
	for _, k := range []string{qAlgorithm, qCredential, qSignature, qDate, qSignedHeaders, qExpires} {
		if _, ok := vals[k]; !ok {
			return presigned{}, queryError("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	if vals[qAlgorithm] != algorithm {
		return presigned{}, queryError("X-Amz-Algorithm only supports %q", algorithm)
	}
	var p presigned
	var err error
	if p.cred, err = parseCredential(vals[qCredential]); err != nil {
		return presigned{}, byQuery.malformed("%v", err)
	}
	if p.signedHeaders, err = parseSignedHeaders(vals[qSignedHeaders]); err != nil {
		return presigned{}, queryError("X-Amz-SignedHeaders is invalid: %v", err)
	}
	if p.signature = vals[qSignature]; !isLowerHex(p.signature, 64) {
		return presigned{}, queryError("X-Amz-Signature must be 64 lower-case hex digits")
	}
	if p.date, err = time.Parse(amzDateFormat, vals[qDate]); err != nil {
		return presigned{}, queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	secs, err := strconv.ParseInt(vals[qExpires], 10, 64)
	switch {
	case err != nil && !isDigits(vals[qExpires]):
		return presigned{}, queryError("X-Amz-Expires should be a number")
	case err == nil && secs < 0:
		return presigned{}, queryError("X-Amz-Expires must be non-negative")
	case err != nil || secs > int64(MaxPresignExpires/time.Second):
		return presigned{}, queryError("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	p.expires = time.Duration(secs) * time.Second
	p.payloadHash = unsignedPayload
	if h, ok := vals[qContentSHA256]; ok {
		p.payloadHash = h
	}
	return p, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
