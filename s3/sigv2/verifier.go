package sigv2

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/garage-web/garage-web/s3/s3err"
)

// SecretLookup returns the secret key for an access key id, or an error
// wrapping s3err.ErrInvalidAccessKeyID when there is no such key. It is
// called at most once per request and must be safe for concurrent use.
type SecretLookup func(ctx context.Context, accessKeyID string) (secret string, err error)

// Verifier checks Signature Version 2 signatures. Lookup must be set.
type Verifier struct {
	Lookup SecretLookup // secret keys by access key id
	// RootDomain is the suffix of virtual-hosted-style hosts
	// (".s3.example.com"): the bucket they name is part of the signed
	// resource. "" when only path-style requests are served.
	RootDomain string
	Now        func() time.Time // clock; nil means time.Now
	MaxSkew    time.Duration    // largest Date difference; 0 means DefaultMaxSkew
}

// Verify authenticates a request that IsSigned reports as Signature
// Version 2 and returns the access key that signed it. Errors are
// *s3err.Error values (possibly wrapped), except Lookup errors that are not
// S3 errors, returned wrapped with context.
func (v *Verifier) Verify(r *http.Request) (accessKeyID string, err error) {
	q := r.URL.Query()
	authz := r.Header.Values("Authorization")
	presigned := q.Has(qSignature) || q.Has(qAccessKeyID)
	switch {
	case len(authz) > 0 && presigned:
		return "", errBothAuth
	case len(authz) > 1:
		return "", malformedHeader("the Authorization header is given more than once")
	case len(authz) == 1:
		return v.verifyHeader(r, authz[0])
	case presigned:
		return v.verifyPresigned(r)
	}
	return "", s3err.WithMessage(s3err.ErrAccessDenied, "The request is not signed with Signature Version 2.")
}

func (v *Verifier) verifyHeader(r *http.Request, authz string) (string, error) {
	id, sig, err := ParseAuthorization(authz)
	if err != nil {
		return "", err
	}
	// x-amz-date, when sent, is the request time and Date is signed empty.
	date := r.Header.Get("Date")
	signedDate := date
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		date, signedDate = d, ""
	}
	if date == "" {
		return "", errNoDate
	}
	t, ok := parseDate(date)
	if !ok {
		return "", errNoDate
	}
	if err := v.checkSkew(t); err != nil {
		return "", err
	}
	secret, err := v.secret(r.Context(), id)
	if err != nil {
		return "", err
	}
	if !v.matches(r, secret, signedDate, sig) {
		return "", s3err.ErrSignatureDoesNotMatch
	}
	return id, nil
}

func (v *Verifier) verifyPresigned(r *http.Request) (string, error) {
	p, err := ParsePresign(r.URL.Query())
	if err != nil {
		return "", err
	}
	if v.now().After(p.ExpiresAt) {
		return "", errExpired
	}
	secret, err := v.secret(r.Context(), p.AccessKeyID)
	if err != nil {
		return "", err
	}
	if !v.matches(r, secret, p.Expires, p.Signature) {
		return "", s3err.ErrSignatureDoesNotMatch
	}
	return p.AccessKeyID, nil
}

// matches reports whether sig is the signature of r, with date in the
// string to sign, for one of the forms a client may have signed its path in.
func (v *Verifier) matches(r *http.Request, secret, date, sig string) bool {
	bucket := hostBucket(r.Host, v.RootDomain)
	q := r.URL.Query()
	ok := false
	for _, p := range paths(r) {
		res := CanonicalResource(bucket, p, q)
		if equal(Sign(secret, StringToSign(r.Method, r.Header, date, res)), sig) {
			ok = true
		}
		if doubled, quirk := botocoreDoubled(res, r.URL.RawQuery); quirk && equal(Sign(secret, StringToSign(r.Method, r.Header, date, doubled)), sig) {
			ok = true
		}
	}
	return ok
}

// botocoreDoubled is the resource botocore 1.29 (Debian 12's
// python3-botocore) signs with signature_version 's3' when the query is
// one sub-resource without a value ("?uploads", "?acl", "?tagging"): its
// auth path keeps the query and the sub-resource is appended once more
// ("/b/k?uploads?uploads"). It is accepted too: the string still covers
// the method, the path and the sub-resource.
func botocoreDoubled(resource, rawQuery string) (string, bool) {
	if rawQuery == "" || strings.ContainsAny(rawQuery, "&=") || !SubResources[rawQuery] {
		return "", false
	}
	return resource + "?" + rawQuery, true
}

// VerifyPostForm checks a POST form signed with Signature Version 2: the
// signature field must be the signature of the base64 policy field with
// the secret of AWSAccessKeyId (field names are case-insensitive). It
// returns the access key id; the policy itself (expiration, conditions)
// is for the caller to check.
func (v *Verifier) VerifyPostForm(ctx context.Context, form map[string]string) (accessKeyID string, err error) {
	f := make(map[string]string, len(form))
	for k, val := range form {
		f[strings.ToLower(k)] = val
	}
	for _, name := range PostFields {
		if f[name] == "" {
			return "", s3err.WithMessage(s3err.ErrInvalidArgument, "Bucket POST must contain a field named '%s'.", name)
		}
	}
	id := f["awsaccesskeyid"]
	secret, err := v.secret(ctx, id)
	if err != nil {
		return "", err
	}
	if !equal(Sign(secret, f["policy"]), f["signature"]) {
		return "", s3err.ErrSignatureDoesNotMatch
	}
	return id, nil
}

// PostFields are the form fields of a POST upload signed with Signature
// Version 2 (lower case). A policy need not have conditions on
// awsaccesskeyid and signature.
var PostFields = []string{"awsaccesskeyid", "policy", "signature"}

// IsPostForm reports whether a POST form (lower-case field names) is
// signed with Signature Version 2: it has AWSAccessKeyId or signature and
// none of SigV4's x-amz-signature and x-amz-credential.
func IsPostForm(form map[string]string) bool {
	has := func(name string) bool {
		for k := range form {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		return false
	}
	return (has("awsaccesskeyid") || has("signature")) && !has("x-amz-signature") && !has("x-amz-credential")
}

func (v *Verifier) secret(ctx context.Context, id string) (string, error) {
	if v.Lookup == nil {
		return "", errors.New("sigv2: Verifier.Lookup is not set")
	}
	secret, err := v.Lookup(ctx, id)
	if err != nil {
		var e *s3err.Error
		if errors.As(err, &e) {
			return "", err
		}
		return "", fmt.Errorf("sigv2: looking up access key %q: %w", id, err)
	}
	return secret, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) checkSkew(t time.Time) error {
	maxSkew := v.MaxSkew
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	now := v.now()
	d := now.Sub(t)
	if d < 0 {
		d = -d
	}
	if d > maxSkew {
		return s3err.WithMessage(s3err.ErrRequestTimeTooSkewed,
			"The difference between the request time (%s) and the server's time (%s) is too large.",
			t.UTC().Format(http.TimeFormat), now.UTC().Format(http.TimeFormat))
	}
	return nil
}

// equal compares signatures in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
