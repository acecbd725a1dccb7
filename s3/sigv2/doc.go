// Package sigv2 authenticates S3 requests signed with AWS Signature
// Version 2, the scheme of older S3 clients (s3cmd --signature-v2, boto's
// "s3" signer, early SDKs), as AWS's "Signing and Authenticating REST
// Requests" describes it.
//
// # Basics
//
// Three forms are understood:
//
//   - the Authorization header: "AWS <AccessKeyId>:<Signature>";
//   - presigned URLs: the AWSAccessKeyId, Expires (Unix seconds) and
//     Signature query parameters;
//   - browser POST forms: the AWSAccessKeyId, policy and signature fields
//     (VerifyPostForm), the signature being over the base64 policy.
//
// The signature is base64(HMAC-SHA1(secret, StringToSign)), where
//
//	StringToSign = Verb "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
//	               CanonicalizedAmzHeaders CanonicalizedResource
//
// Date is the Date header, empty when x-amz-date is sent (x-amz-date is then
// one of the x-amz-* headers), and the Expires value in a presigned URL. The
// resource is the bucket (from the Host, for virtual-hosted-style requests)
// and the path, followed by the sub-resources of SubResources that the query
// names, sorted, with their decoded values.
//
// IsSigned tells a Signature Version 2 request from any other, so that a
// server can send it here and everything else to its SigV4 verifier.
//
// # Caveats
//
// Signature Version 2 does not sign the body: only a Content-MD5 header, if
// sent, protects it, and checking it is the caller's job. Hosts that are a
// bucket name by themselves (CNAME-style addressing) are not understood;
// only path-style and "<bucket><RootDomain>" hosts are.
//
// A Verifier holds no mutable state and is safe for concurrent use; its
// fields must not be changed while requests are being verified.
package sigv2

import "time"

// Limits.
const (
	// DefaultMaxSkew is the largest difference between a header-signed
	// request's date and the server clock when Verifier.MaxSkew is zero
	// (as in AWS).
	DefaultMaxSkew = 15 * time.Minute

	// maxAuthorization bounds the Authorization header parsed.
	maxAuthorization = 1024
)
