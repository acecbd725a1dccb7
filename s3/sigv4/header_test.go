package sigv4

import (
	"strings"
	"testing"
	"time"
)

func TestParseAuthorization(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	cred := "Credential=AKID/20130524/us-east-1/s3/aws4_request"
	for _, tc := range []struct {
		in   string
		code string
	}{
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host,Signature=" + sig, ""},
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=" + sig, ""},
		{"AWS4-HMAC-SHA256 Signature=" + sig + ", SignedHeaders=host, " + cred, ""},
		{"AWS4-HMAC-SHA256 Credential=a/b/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig, ""},
		{"AWS AKID:c2ln", "InvalidRequest"},
		{"AWS4-ECDSA-P256-SHA256 " + cred + ",SignedHeaders=host,Signature=" + sig, "InvalidRequest"},
		{"AWS4-HMAC-SHA256", "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host", "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 " + cred + "," + cred + ",SignedHeaders=host,Signature=" + sig, "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host,Signature=" + strings.ToUpper(sig), "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=range,Signature=" + sig, "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host,Signature=" + sig + ",Extra=1", "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 Credential=AKID/2013-05-24/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig, "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws5_request,SignedHeaders=host,Signature=" + sig, "AuthorizationHeaderMalformed"},
		{"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig, "AuthorizationHeaderMalformed"},
	} {
		_, err := parseAuthorization(tc.in)
		if tc.code == "" && err != nil || tc.code != "" && err == nil {
			t.Errorf("parseAuthorization(%q) = %v, want %q", tc.in, err, tc.code)
			continue
		}
		if err != nil {
			wantCode(t, err, tc.code)
		}
	}
}

func TestScopeChecks(t *testing.T) {
	v := exampleVerifier("garage")
	at := exampleTime
	for _, tc := range []struct {
		cred credential
		code string
	}{
		{credential{"k", "20130524", "garage", "s3"}, ""},
		{credential{"k", "20130524", "us-east-1", "s3"}, "AuthorizationHeaderMalformed"},
		{credential{"k", "20130524", "garage", "iam"}, "AuthorizationHeaderMalformed"},
		{credential{"k", "20130525", "garage", "s3"}, "AuthorizationHeaderMalformed"},
	} {
		wantCode(t, v.checkScope(tc.cred, at, byHeader), tc.code)
	}
	v.Region = ""
	wantCode(t, v.checkScope(credential{"k", "20130524", "anywhere", "s3"}, at, byHeader), "")
}

// A request dated by the Date header alone (no x-amz-date) is verified
// against that date.
func TestDateHeaderOnly(t *testing.T) {
	r := request("GET", "http://examplebucket.s3.amazonaws.com/test.txt", nil,
		"Date", "Fri, 24 May 2013 00:00:00 GMT",
		"X-Amz-Content-Sha256", unsignedPayload)
	signed := []string{"date", "host", "x-amz-content-sha256"}
	key := signingKey(exampleSecret, "20130524", "us-east-1", "s3")
	creq := canonicalRequest("GET", "/test.txt", "", canonicalHeaders(r, signed), signed, unsignedPayload)
	sig := signHex(key, stringToSign(algorithm, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", hexSHA256(creq)))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256,Signature="+sig)
	if _, err := exampleVerifier("us-east-1").Verify(r); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	r.Header.Set("Date", "yesterday")
	_, err := exampleVerifier("us-east-1").Verify(r)
	wantCode(t, err, "AccessDenied")
	r.Header.Del("Date")
	_, err = exampleVerifier("us-east-1").Verify(r)
	wantCode(t, err, "AccessDenied")

	v := exampleVerifier("us-east-1")
	v.MaxSkew = time.Minute
	v.Now = func() time.Time { return exampleTime.Add(2 * time.Minute) }
	r.Header.Set("Date", "Fri, 24 May 2013 00:00:00 GMT")
	_, err = v.Verify(r)
	wantCode(t, err, "RequestTimeTooSkewed")
}
