package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKServerSideEncryptionRefused: garage-web does not encrypt at rest,
// so every request asking for server-side encryption is refused with
// NotImplemented and stores nothing; a client must never believe its data
// is encrypted when it is not.
func TestSDKServerSideEncryptionRefused(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "sse")
	key := bytes.Repeat([]byte("k"), 32)
	sum := md5.Sum(key)
	_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("ssec"), Body: bytes.NewReader([]byte("secret")),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(base64.StdEncoding.EncodeToString(key)),
		SSECustomerKeyMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	wantAPIErr(t, err, "NotImplemented", http.StatusNotImplemented)
	e.wantNoObject(t, b, "ssec")

	_, err = e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("kms"), Body: bytes.NewReader([]byte("secret")),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantAPIErr(t, err, "NotImplemented", http.StatusNotImplemented)
	e.wantNoObject(t, b, "kms")

	_, err = e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	wantAPIErr(t, err, "NotImplemented", http.StatusNotImplemented)
}
