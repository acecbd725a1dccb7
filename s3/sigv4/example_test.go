package sigv4_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"github.com/garage-web/garage-web/checksum"
	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/s3/sigv4"
)

// A handler verifies the request, then reads the body from the Result,
// through checksum.New so that trailing checksums are checked too.
func ExampleVerifier_Verify() {
	v := &sigv4.Verifier{
		Region: "us-east-1",
		Lookup: func(_ context.Context, id string) (string, error) {
			if id == "AKIAIOSFODNN7EXAMPLE" {
				return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", nil
			}
			return "", s3err.ErrInvalidAccessKeyID
		},
		Now: func() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) },
	}

	// The GET Object example of the AWS documentation.
	r := httptest.NewRequest("GET", "http://examplebucket.s3.amazonaws.com/test.txt", nil)
	r.Header.Set("Range", "bytes=0-9")
	r.Header.Set("X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"+
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")

	res, err := v.Verify(r)
	if err != nil {
		e, _ := s3err.From(err)
		fmt.Println(e.Code) // answer with s3err.Write
		return
	}
	body, err := checksum.New(res.Body, r.Header, res.Trailer)
	if err != nil {
		return
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return // never commit data read before an error
	}
	fmt.Println("signed by", res.AccessKeyID)

	// An hour later, the same request is refused.
	v.Now = func() time.Time { return time.Date(2013, 5, 24, 1, 0, 0, 0, time.UTC) }
	_, err = v.Verify(r)
	fmt.Println(errors.Is(err, s3err.ErrRequestTimeTooSkewed))
	// Output:
	// signed by AKIAIOSFODNN7EXAMPLE
	// true
}
