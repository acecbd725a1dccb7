package sigv4

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garage-web/garage-web/s3/s3err"
)

// credential is the parsed Credential value: the access key id and the scope
// "date/region/service/aws4_request" the signature was made for.
type credential struct {
	accessKey string
	date      string // yyyymmdd
	region    string
	service   string
}

func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + terminator
}

// parseCredential parses "AKID/20130524/us-east-1/s3/aws4_request".
func parseCredential(s string) (credential, error) {
	parts := strings.Split(s, "/")
	n := len(parts)
	if n < 5 {
		return credential{}, fmt.Errorf("credential %q should have the form <key>/<date>/<region>/s3/aws4_request", s)
	}
	c := credential{
		accessKey: strings.Join(parts[:n-4], "/"),
		date:      parts[n-4],
		region:    parts[n-3],
		service:   parts[n-2],
	}
	if c.accessKey == "" {
		return credential{}, errors.New("credential has an empty access key id")
	}
	if _, err := time.Parse(scopeDateFormat, c.date); err != nil || len(c.date) != 8 {
		return credential{}, fmt.Errorf("invalid credential date %q", c.date)
	}
	if parts[n-1] != terminator {
		return credential{}, fmt.Errorf("incorrect terminal %q; this endpoint uses %q", parts[n-1], terminator)
	}
	return c, nil
}

// authKind says where the authentication came from, which decides the S3
// error code of a malformed value (AWS uses one per mechanism).
type authKind int

const (
	byHeader authKind = iota
	byQuery
	byPostForm
)

func (k authKind) malformed(format string, args ...any) error {
	base := s3err.ErrAuthorizationHeaderMalformed
	prefix := "The authorization header is malformed; "
	switch k {
	case byQuery:
		base = s3err.ErrAuthorizationQueryParametersError
		prefix = "Error parsing the X-Amz-Credential parameter; "
	case byPostForm:
		base = s3err.ErrInvalidArgument
		prefix = "Invalid POST form authentication; "
	}
	return s3err.WithMessage(base, prefix+format, args...)
}

// checkScope checks a credential against the verifier's region, the s3
// service and the request time.
func (v *Verifier) checkScope(c credential, t time.Time, k authKind) error {
	if c.service != service {
		return k.malformed("incorrect service %q. This endpoint belongs to %q.", c.service, service)
	}
	if v.Region != "" && c.region != v.Region {
		return k.malformed("the region '%s' is wrong; expecting '%s'", c.region, v.Region)
	}
	if d := t.UTC().Format(scopeDateFormat); c.date != d {
		return k.malformed("invalid credential date %q. This date is not the same as X-Amz-Date: %q.", c.date, d)
	}
	return nil
}
