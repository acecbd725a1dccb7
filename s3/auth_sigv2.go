package s3

import (
	"context"
	"net/http"

	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/s3/sigv2"
	"github.com/garage-web/garage-web/s3/sigv4"
)

// Signature Version 2 requests (older clients: s3cmd --signature-v2,
// boto's "s3" signer) are told apart from SigV4 ones here and checked by
// s3/sigv2, unless s3_api.sigv2 is false (Config.DisableSigV2): then they
// are refused with AccessDenied saying so.

// errSigV2Disabled refuses a V2 request when V2 is turned off.
var errSigV2Disabled = s3err.WithMessage(s3err.ErrAccessDenied,
	"Signature Version 2 is disabled on this server (s3_api.sigv2 = false): sign the request with Signature Version 4 (AWS4-HMAC-SHA256).")

// sigv2Verifier returns the V2 verifier, on the same clock as SigV4's.
func (s *Server) sigv2Verifier() *sigv2.Verifier {
	return &sigv2.Verifier{Lookup: s.lookupSecret, RootDomain: s.cfg.RootDomain, Now: s.verifier.Now, MaxSkew: s.verifier.MaxSkew}
}

// verify authenticates r with the signature version it is signed with.
// A V2 request's body is not signed: it is passed through as it is, and
// its Content-MD5, if any, is checked where the body is read.
func (s *Server) verify(r *http.Request) (*sigv4.Result, error) {
	if !sigv2.IsSigned(r) {
		return s.verifier.Verify(r)
	}
	if s.cfg.DisableSigV2 {
		return nil, errSigV2Disabled
	}
	id, err := s.sigv2Verifier().Verify(r)
	if err != nil {
		return nil, err
	}
	return &sigv4.Result{AccessKeyID: id, Body: r.Body, ContentLength: r.ContentLength, Trailer: func() http.Header { return nil }}, nil
}

// verifyPostPolicy checks a POST form's signature, SigV4 or V2, and
// returns the access key ("" when anonymous), the policy and the form
// fields its conditions must cover (a V2 form's AWSAccessKeyId and
// signature need none).
func (s *Server) verifyPostPolicy(ctx context.Context, form map[string]string) (string, *sigv4.PostPolicy, map[string]string, error) {
	if !sigv2.IsPostForm(form) {
		id, policy, err := s.verifier.VerifyPostPolicy(ctx, form)
		return id, policy, form, err
	}
	if s.cfg.DisableSigV2 {
		return "", nil, nil, errSigV2Disabled
	}
	id, err := s.sigv2Verifier().VerifyPostForm(ctx, form)
	if err != nil {
		return "", nil, nil, err
	}
	var encoded string
	covered := make(map[string]string, len(form))
	for name, v := range form {
		switch name {
		case "policy":
			encoded = v
		case "awsaccesskeyid", "signature":
			continue
		}
		covered[name] = v
	}
	policy, err := sigv4.ParsePostPolicy(encoded)
	if err != nil {
		return "", nil, nil, err
	}
	return id, policy, covered, nil
}
