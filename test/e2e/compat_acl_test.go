package e2e

// Canned ACLs and grants on buckets and objects (issue 10, public read
// done safely): an unsigned request reads only what an ACL made public,
// everything else stays AccessDenied, and every ACL garage-web does not
// implement is refused, not ignored.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// anonymous sends an unsigned request to e's next node and returns the
// status and body.
func (e *sdkEnv) anonymous(t testing.TB, method, path string, body []byte) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, sdkHTTPTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.s3URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// wantAnonymous fails unless an unsigned request answers status (and, for
// an error, the S3 error code).
func (e *sdkEnv) wantAnonymous(t testing.TB, method, path string, status int, code string) []byte {
	t.Helper()
	got, body := e.anonymous(t, method, path, nil)
	if got != status || code != "" && !strings.Contains(string(body), "<Code>"+code+"</Code>") {
		t.Fatalf("unsigned %s %s: HTTP %d %q, want %d %s", method, path, got, clip(string(body)), status, code)
	}
	return body
}

// eventually polls cond until it holds, within the bucket cache window of
// other nodes (a second) plus slack; it fails after 15 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after 15 s", what)
		}
		<-tick.C
	}
}

// anonymousStatus is the status of an unsigned request.
func (e *sdkEnv) anonymousStatus(t testing.TB, method, path string) int {
	t.Helper()
	s, _ := e.anonymous(t, method, path, nil)
	return s
}

func TestACLPublicReadObjects(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "acl-objects")
	if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("pub"), Body: bytes.NewReader([]byte("hello")), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	e.put(t, e.c, bucket, "priv", []byte("secret"))

	if got := e.wantAnonymous(t, "GET", "/"+bucket+"/pub", 200, ""); string(got) != "hello" {
		t.Fatalf("public object body %q", got)
	}
	e.wantAnonymous(t, "HEAD", "/"+bucket+"/pub", 200, "")
	e.wantAnonymous(t, "GET", "/"+bucket+"/priv", 403, "AccessDenied")
	e.wantAnonymous(t, "GET", "/"+bucket+"/missing", 403, "AccessDenied") // no NoSuchKey: nobody may list
	e.wantAnonymous(t, "GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")
	e.wantAnonymous(t, "GET", "/"+bucket+"/pub?acl", 403, "AccessDenied")
	e.wantAnonymous(t, "GET", "/nonexistent-acl-bucket/pub", 404, "NoSuchBucket")

	t.Run("AnonymousWritesRefused", func(t *testing.T) {
		for _, m := range []struct{ method, path string }{
			{"PUT", "/" + bucket + "/pub"}, {"PUT", "/" + bucket + "/new"}, {"DELETE", "/" + bucket + "/pub"},
			{"POST", "/" + bucket + "/pub?uploads"}, {"PUT", "/" + bucket + "/pub?acl"}, {"PUT", "/" + bucket + "?acl"},
			{"PUT", "/" + bucket + "?policy"}, {"DELETE", "/" + bucket}, {"PUT", "/acl-anon-new-bucket"},
		} {
			s, body := e.anonymous(t, m.method, m.path, []byte("x"))
			if s != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
				t.Errorf("unsigned %s %s: HTTP %d %q, want 403 AccessDenied", m.method, m.path, s, clip(string(body)))
			}
		}
		e.wantObject(t, bucket, "pub", []byte("hello"))
		e.wantNoObject(t, bucket, "new")
	})

	t.Run("GetObjectAcl", func(t *testing.T) {
		out, err := e.c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: aws.String("pub")})
		if err != nil {
			t.Fatal(err)
		}
		if !hasGroupGrant(out.Grants, "AllUsers", types.PermissionRead) {
			t.Fatalf("grants of a public-read object: %+v", out.Grants)
		}
		out, err = e.c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: aws.String("priv")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Grants) != 1 || out.Grants[0].Permission != types.PermissionFullControl {
			t.Fatalf("grants of a private object: %+v", out.Grants)
		}
	})

	t.Run("PutObjectAclChangesAccess", func(t *testing.T) {
		e.put(t, e.c, bucket, "flip", []byte("flip"))
		e.wantAnonymous(t, "GET", "/"+bucket+"/flip", 403, "AccessDenied")
		if _, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("flip"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
			t.Fatal(err)
		}
		e.wantAnonymous(t, "GET", "/"+bucket+"/flip", 200, "")
		if _, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("flip"), ACL: types.ObjectCannedACLPrivate}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "object private again", func() bool { return e.anonymousStatus(t, "GET", "/"+bucket+"/flip") == 403 })
		e.wantAnonymous(t, "GET", "/"+bucket+"/flip", 403, "AccessDenied")
		e.wantObject(t, bucket, "flip", []byte("flip")) // the data is untouched
		// A new version of the key starts private again.
		if _, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("flip"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
			t.Fatal(err)
		}
		e.put(t, e.c, bucket, "flip", []byte("v2"))
		e.wantAnonymous(t, "GET", "/"+bucket+"/flip", 403, "AccessDenied")
	})

	t.Run("MultipartAndPost", func(t *testing.T) {
		up, err := e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), ACL: types.ObjectCannedACLPublicRead})
		if err != nil {
			t.Fatal(err)
		}
		part, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("parts"))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
			t.Fatal(err)
		}
		if got := e.wantAnonymous(t, "GET", "/"+bucket+"/mp", 200, ""); string(got) != "parts" {
			t.Fatalf("public multipart object %q", got)
		}
		auth := signPostPolicy(e.key, time.Now(), time.Now().Add(time.Hour),
			map[string]string{"bucket": bucket}, map[string]string{"key": "posted"}, map[string]string{"acl": "public-read"})
		resp := postUpload(t, e, bucket, append([]postField{{"key", "posted"}, {"acl", "public-read"}}, auth...), "f.txt", []byte("form"))
		if body := sdkReadBody(t, resp); resp.StatusCode/100 != 2 {
			t.Fatalf("POST with acl: HTTP %d %s", resp.StatusCode, body)
		}
		e.wantAnonymous(t, "GET", "/"+bucket+"/posted", 200, "")
	})

	t.Run("CopyTakesTheRequestACL", func(t *testing.T) {
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/pub")}); err != nil {
			t.Fatal(err)
		}
		e.wantAnonymous(t, "GET", "/"+bucket+"/copy", 403, "AccessDenied")
		if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy2"), CopySource: aws.String(bucket + "/priv"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
			t.Fatal(err)
		}
		e.wantAnonymous(t, "GET", "/"+bucket+"/copy2", 200, "")
	})
}

func hasGroupGrant(gs []types.Grant, group string, p types.Permission) bool {
	for _, g := range gs {
		if g.Grantee != nil && g.Grantee.Type == types.TypeGroup && strings.HasSuffix(aws.ToString(g.Grantee.URI), "/"+group) && g.Permission == p {
			return true
		}
	}
	return false
}

func hasKeyGrant(gs []types.Grant, id string, p types.Permission) bool {
	for _, g := range gs {
		if g.Grantee != nil && g.Grantee.Type == types.TypeCanonicalUser && aws.ToString(g.Grantee.ID) == id && g.Permission == p {
			return true
		}
	}
	return false
}

func TestACLBucket(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "acl-bucket")
	e.put(t, e.c, bucket, "a", []byte("a"))
	e.wantAnonymous(t, "GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")

	if _, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if body := e.wantAnonymous(t, "GET", "/"+bucket+"?list-type=2", 200, ""); !strings.Contains(string(body), "<Key>a</Key>") {
		t.Fatalf("public listing: %q", clip(string(body)))
	}
	e.wantAnonymous(t, "GET", "/"+bucket, 200, "") // ListObjects v1
	// As in S3, a public-read bucket lists its keys; its objects stay private.
	e.wantAnonymous(t, "GET", "/"+bucket+"/a", 403, "AccessDenied")
	// It may now learn a key does not exist.
	e.wantAnonymous(t, "GET", "/"+bucket+"/missing", 404, "NoSuchKey")
	e.wantAnonymous(t, "PUT", "/"+bucket+"/b", 403, "AccessDenied")

	out, err := e.c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if !hasGroupGrant(out.Grants, "AllUsers", types.PermissionRead) || !hasKeyGrant(out.Grants, e.key.ID, types.PermissionFullControl) {
		t.Fatalf("bucket grants: %+v", out.Grants)
	}
	if info := e.cliNode().CLI(t, "bucket", "info", bucket); !strings.Contains(info, "S3 ACL: public-read") {
		t.Fatalf("bucket info does not show the ACL:\n%s", info)
	}

	if _, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bucket private again", func() bool { return e.anonymousStatus(t, "GET", "/"+bucket+"?list-type=2") == 403 })

	t.Run("CreateBucketWithACL", func(t *testing.T) {
		if _, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl-created-public"), ACL: types.BucketCannedACLPublicRead}); err != nil {
			t.Fatal(err)
		}
		e.wantAnonymous(t, "GET", "/acl-created-public?list-type=2", 200, "")
		_, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl-created-prw"), ACL: types.BucketCannedACLPublicReadWrite})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("acl-created-prw")})
		if err == nil {
			t.Fatal("a bucket refused for its ACL was created")
		}
	})

	t.Run("OwnerOnly", func(t *testing.T) {
		stranger := e.keyWithoutCreate(t, "acl-stranger")
		writer := e.keyWithoutCreate(t, "acl-writer")
		e.allow(t, bucket, writer, "--read", "--write")
		for name, k := range map[string]Key{"no rights": stranger, "read+write": writer} {
			c := e.client(k)
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPublicRead})
			if err == nil {
				t.Fatalf("%s key changed the bucket ACL", name)
			}
			wantAPIErr(t, err, "AccessDenied", 403)
		}
		e.wantAnonymous(t, "GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")
		// The stranger cannot change an object's ACL either.
		_, err := e.client(stranger).PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("a"), ACL: types.ObjectCannedACLPublicRead})
		wantAPIErr(t, err, "AccessDenied", 403)
		e.wantAnonymous(t, "GET", "/"+bucket+"/a", 403, "AccessDenied")
	})
}

func TestACLAuthenticatedReadAndKeyGrants(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "acl-auth")
	other := e.keyWithoutCreate(t, "acl-other")
	third := e.keyWithoutCreate(t, "acl-third")
	oc := e.client(other)
	if _, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("auth"), Body: bytes.NewReader([]byte("for keys")), ACL: types.ObjectCannedACLAuthenticatedRead}); err != nil {
		t.Fatal(err)
	}
	e.put(t, e.c, bucket, "priv", []byte("p"))

	if got := e.get(t, oc, bucket, "auth"); string(got) != "for keys" {
		t.Fatalf("authenticated-read object read by another key: %q", got)
	}
	e.wantAnonymous(t, "GET", "/"+bucket+"/auth", 403, "AccessDenied")
	_, err := oc.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("priv")})
	wantAPIErr(t, err, "AccessDenied", 403)
	_, err = oc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	wantAPIErr(t, err, "AccessDenied", 403)
	_, err = oc.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("auth"), Body: bytes.NewReader([]byte("x"))})
	wantAPIErr(t, err, "AccessDenied", 403)

	t.Run("GrantReadToOneKey", func(t *testing.T) {
		if _, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("priv"), GrantRead: aws.String(`id="` + other.ID + `"`)}); err != nil {
			t.Fatal(err)
		}
		if got := e.get(t, oc, bucket, "priv"); string(got) != "p" {
			t.Fatalf("granted key read %q", got)
		}
		_, err := e.client(third).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("priv")})
		wantAPIErr(t, err, "AccessDenied", 403)
		e.wantAnonymous(t, "GET", "/"+bucket+"/priv", 403, "AccessDenied")
		out, err := e.c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: aws.String("priv")})
		if err != nil {
			t.Fatal(err)
		}
		if !hasKeyGrant(out.Grants, other.ID, types.PermissionRead) {
			t.Fatalf("grants: %+v", out.Grants)
		}
	})

	t.Run("BucketGrantsByXML", func(t *testing.T) {
		// The body an SDK sends after reading the ACL: owner FULL_CONTROL
		// (implied), WRITE and READ for a key.
		_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, AccessControlPolicy: &types.AccessControlPolicy{
			Owner: &types.Owner{ID: aws.String(e.key.ID)},
			Grants: []types.Grant{
				{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(e.key.ID)}, Permission: types.PermissionFullControl},
				{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(other.ID)}, Permission: types.PermissionWrite},
				{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(other.ID)}, Permission: types.PermissionRead},
			}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket}); err != nil {
			t.Fatalf("list with a READ grant: %v", err)
		}
		e.put(t, oc, bucket, "by-other", []byte("w"))
		_, err = e.client(third).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
		wantAPIErr(t, err, "AccessDenied", 403)
		// A WRITE grant does not make the key an owner.
		_, err = oc.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPublicRead})
		wantAPIErr(t, err, "AccessDenied", 403)
		out, err := e.c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		if !hasKeyGrant(out.Grants, other.ID, types.PermissionWrite) || !hasKeyGrant(out.Grants, other.ID, types.PermissionRead) {
			t.Fatalf("bucket grants: %+v", out.Grants)
		}
	})
}

func TestACLRefusals(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "acl-refused")
	e.put(t, e.c, bucket, "o", []byte("o"))
	other := e.keyWithoutCreate(t, "acl-refused-other")
	group := func(uri string, p types.Permission) types.Grant {
		return types.Grant{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(uri)}, Permission: p}
	}
	policyWith := func(gs ...types.Grant) *types.AccessControlPolicy {
		return &types.AccessControlPolicy{Owner: &types.Owner{ID: aws.String(e.key.ID)}, Grants: gs}
	}
	const allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"PutObject public-read-write", func() error {
			_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("prw"), Body: bytes.NewReader([]byte("x")), ACL: types.ObjectCannedACLPublicReadWrite})
			return err
		}, "AccessDenied", 403},
		{"PutBucketAcl public-read-write", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPublicReadWrite})
			return err
		}, "AccessDenied", 403},
		{"AllUsers WRITE by XML", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, AccessControlPolicy: policyWith(group(allUsers, types.PermissionWrite))})
			return err
		}, "AccessDenied", 403},
		{"AllUsers FULL_CONTROL by header", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, GrantFullControl: aws.String(`uri="` + allUsers + `"`)})
			return err
		}, "AccessDenied", 403},
		{"AllUsers WRITE by header", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, GrantWrite: aws.String(`uri="` + allUsers + `"`)})
			return err
		}, "AccessDenied", 403},
		{"AllUsers READ_ACP", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, GrantReadACP: aws.String(`uri="` + allUsers + `"`)})
			return err
		}, "NotImplemented", 501},
		{"email grantee", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, GrantRead: aws.String(`emailAddress="a@example.com"`)})
			return err
		}, "NotImplemented", 501},
		{"email grantee by XML", func() error {
			_, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("o"), AccessControlPolicy: policyWith(types.Grant{
				Grantee: &types.Grantee{Type: types.TypeAmazonCustomerByEmail, EmailAddress: aws.String("a@example.com")}, Permission: types.PermissionRead})})
			return err
		}, "NotImplemented", 501},
		{"LogDelivery group", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, AccessControlPolicy: policyWith(group("http://acs.amazonaws.com/groups/s3/LogDelivery", types.PermissionWrite))})
			return err
		}, "NotImplemented", 501},
		{"AuthenticatedUsers WRITE", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, GrantWrite: aws.String(`uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"`)})
			return err
		}, "NotImplemented", 501},
		{"unknown key id", func() error {
			_, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("o"), GrantRead: aws.String(`id="GK000000000000000000000000"`)})
			return err
		}, "InvalidArgument", 400},
		{"FULL_CONTROL for a non-owner key", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, GrantFullControl: aws.String(`id="` + other.ID + `"`)})
			return err
		}, "NotImplemented", 501},
		{"WRITE_ACP for a non-owner key", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, GrantWriteACP: aws.String(`id="` + other.ID + `"`)})
			return err
		}, "NotImplemented", 501},
		{"canned and grant headers", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPublicRead, GrantRead: aws.String(`id="` + other.ID + `"`)})
			return err
		}, "InvalidRequest", 400},
		{"unknown canned ACL", func() error {
			_, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("o"), ACL: "world-readable"})
			return err
		}, "InvalidArgument", 400},
		{"log-delivery-write", func() error {
			_, err := e.c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACL("log-delivery-write")})
			return err
		}, "NotImplemented", 501},
		{"grant headers on PutObject", func() error {
			_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("g"), Body: bytes.NewReader([]byte("x")), GrantRead: aws.String(`id="` + other.ID + `"`)})
			return err
		}, "NotImplemented", 501},
		{"PutObjectAcl of a missing key", func() error {
			_, err := e.c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("missing"), ACL: types.ObjectCannedACLPublicRead})
			return err
		}, "NoSuchKey", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIErr(t, tc.call(), tc.code, tc.status)
		})
	}
	// Nothing of it took effect.
	e.wantAnonymous(t, "GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")
	e.wantAnonymous(t, "GET", "/"+bucket+"/o", 403, "AccessDenied")
	e.wantAnonymous(t, "PUT", "/"+bucket+"/w", 403, "AccessDenied")
	e.wantNoObject(t, bucket, "prw")
	e.wantNoObject(t, bucket, "g")
	out, err := e.c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Grants) != 1 {
		t.Fatalf("a refused ACL changed the grants: %+v", out.Grants)
	}
}
