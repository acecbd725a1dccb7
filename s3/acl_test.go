package s3

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/table/crdt"
)

// errCode is the S3 error code of err ("" for none).
func errCode(err error) string {
	if e, ok := s3err.From(err); ok {
		return e.Code
	}
	return ""
}

func TestCannedACL(t *testing.T) {
	for _, c := range []struct {
		name           string
		public, authRd bool
		code           string // "" when accepted
	}{
		{"private", false, false, ""},
		{"public-read", true, false, ""},
		{"authenticated-read", false, true, ""},
		{"bucket-owner-read", false, false, ""},
		{"bucket-owner-full-control", false, false, ""},
		{"public-read-write", false, false, "AccessDenied"},
		{"aws-exec-read", false, false, "NotImplemented"},
		{"log-delivery-write", false, false, "NotImplemented"},
		{"Public-Read", false, false, "InvalidArgument"},
		{"everyone", false, false, "InvalidArgument"},
	} {
		a, err := cannedACL(c.name)
		if c.code != "" {
			if got := errCode(err); got != c.code {
				t.Errorf("cannedACL(%q): error %v (%s), want %s", c.name, err, got, c.code)
			}
			continue
		}
		if err != nil || a.PublicRead != c.public || a.AuthenticatedRead != c.authRd || a.Canned != c.name || len(a.Grants) != 0 {
			t.Errorf("cannedACL(%q) = %+v, %v", c.name, a, err)
		}
	}
}

func TestParseGrantHeader(t *testing.T) {
	gs, err := parseGrantHeader(`id="GK1", uri="http://acs.amazonaws.com/groups/global/AllUsers",emailAddress="a@b.c"`)
	if err != nil || len(gs) != 3 || gs[0].typ != "CanonicalUser" || gs[0].id != "GK1" || gs[1].typ != "Group" || gs[2].typ != "AmazonCustomerByEmail" {
		t.Fatalf("parsed %+v, %v", gs, err)
	}
	for _, bad := range []string{`GK1`, `name="x"`} {
		if _, err := parseGrantHeader(bad); errCode(err) != "InvalidArgument" {
			t.Errorf("parseGrantHeader(%q): %v, want InvalidArgument", bad, err)
		}
	}
}

func TestSetObjectACLHeader(t *testing.T) {
	h := map[string]string{model.ACLHeader: "stale"}
	if err := setObjectACLHeader(h, http.Header{}); err != nil || h[model.ACLHeader] != "" {
		t.Fatalf("no x-amz-acl: %v %q (a copy must not keep the source's ACL)", err, h[model.ACLHeader])
	}
	if err := setObjectACLHeader(h, http.Header{"X-Amz-Acl": {"public-read"}}); err != nil || h[model.ACLHeader] == "" {
		t.Fatalf("public-read: %v %q", err, h[model.ACLHeader])
	}
	v := model.ObjectVersion{Meta: &model.ObjectMeta{Headers: h}}
	if !v.ObjectACL().PublicRead {
		t.Fatalf("stored ACL %q", h[model.ACLHeader])
	}
	if err := setObjectACLHeader(h, http.Header{"X-Amz-Acl": {"private"}}); err != nil || h[model.ACLHeader] != "" {
		t.Fatalf("private: %v %q", err, h[model.ACLHeader])
	}
	if err := setObjectACLHeader(h, http.Header{"X-Amz-Grant-Read": {`id="GK1"`}}); errCode(err) != "NotImplemented" {
		t.Fatalf("grant header on write: %v", err)
	}
	if err := setObjectACLHeader(h, http.Header{"X-Amz-Acl": {"public-read-write"}}); errCode(err) != "AccessDenied" {
		t.Fatalf("public-read-write on write: %v", err)
	}
}

// TestDecide: what the bucket's ACL and policy let through, for an
// unsigned request, a key without rights and keys with grants.
func TestDecide(t *testing.T) {
	s := &Server{}
	owner := &model.Key{ID: "GKowner", Buckets: crdt.LWWMap[string, model.Permissions]{}.Set("B", 1, model.Permissions{Read: true, Write: true, Owner: true})}
	reader := &model.Key{ID: "GKreader", Buckets: crdt.LWWMap[string, model.Permissions]{}.Set("B", 1, model.Permissions{Read: true})}
	stranger := &model.Key{ID: "GKstranger"}
	granted := &model.Key{ID: "GKgranted"}
	bucket := func(a model.ACL, policy string) model.Bucket {
		return model.Bucket{ID: "B", ACL: crdt.NewLWW(1, &a), Policy: crdt.NewLWW(1, policy)}
	}
	private := bucket(model.ACL{}, "")
	publicList := bucket(model.ACL{PublicRead: true}, "")
	authList := bucket(model.ACL{AuthenticatedRead: true}, "")
	keyGrants := bucket(model.ACL{Grants: []model.Grant{{KeyID: "GKgranted", Permission: model.PermRead}, {KeyID: "GKgranted", Permission: model.PermWrite}}}, "")
	prefix := bucket(model.ACL{}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pics/pub/*"}}`)
	listPolicy := bucket(model.ACL{}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pics"}}`)
	otherName := bucket(model.ACL{}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}}`)
	for _, c := range []struct {
		name string
		k    *model.Key
		b    model.Bucket
		op   Operation
		key  string
		want grant
	}{
		{"owner anything", owner, private, OpPutBucketPolicy, "", grantKey},
		{"reader cannot put policy", reader, private, OpPutBucketPolicy, "", grantNone},
		{"reader cannot put bucket acl", reader, publicList, OpPutBucketAcl, "", grantNone},
		{"reader reads", reader, private, OpGetObject, "k", grantKey},
		{"reader cannot write", reader, private, OpPutObject, "k", grantNone},
		{"anonymous private list", nil, private, OpListObjectsV2, "", grantNone},
		{"anonymous get: object ACL decides", nil, private, OpGetObject, "k", grantObject},
		{"anonymous public list", nil, publicList, OpListObjects, "", grantBucket},
		{"anonymous public head bucket", nil, publicList, OpHeadBucket, "", grantBucket},
		{"anonymous cannot list authenticated-read", nil, authList, OpListObjectsV2, "", grantNone},
		{"stranger lists authenticated-read", stranger, authList, OpListObjectsV2, "", grantBucket},
		{"public bucket ACL does not write", nil, publicList, OpPutObject, "k", grantNone},
		{"public bucket ACL does not delete", stranger, publicList, OpDeleteObject, "k", grantNone},
		{"public bucket ACL: objects by their ACL", nil, publicList, OpGetObject, "k", grantObject},
		{"key READ grant lists", granted, keyGrants, OpListObjectsV2, "", grantBucket},
		{"key WRITE grant writes", granted, keyGrants, OpPutObject, "k", grantBucket},
		{"key WRITE grant deletes", granted, keyGrants, OpDeleteObject, "k", grantBucket},
		{"key WRITE grant is not owner", granted, keyGrants, OpPutBucketAcl, "", grantNone},
		{"key grant is for that key only", stranger, keyGrants, OpPutObject, "k", grantNone},
		{"key READ grant is not READ_ACP", granted, keyGrants, OpGetBucketAcl, "", grantNone},
		{"policy prefix inside", nil, prefix, OpGetObject, "pub/a", grantBucket},
		{"policy prefix head", nil, prefix, OpHeadObject, "pub/a", grantBucket},
		{"policy prefix outside", nil, prefix, OpGetObject, "priv/a", grantObject},
		{"policy get does not list", nil, prefix, OpListObjectsV2, "", grantNone},
		{"policy list", nil, listPolicy, OpListObjectsV2, "", grantBucket},
		{"policy of another name grants nothing", nil, otherName, OpGetObject, "a", grantObject},
		{"policy never writes", nil, prefix, OpPutObject, "pub/a", grantNone},
		{"policy never deletes", stranger, prefix, OpDeleteObject, "pub/a", grantNone},
		{"object acl read by object ACL", stranger, private, OpGetObjectAcl, "k", grantObject},
	} {
		if got := s.decide(c.k, c.b, "pics", c.op, c.key); got != c.want {
			t.Errorf("%s: decide = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestObjectGrants(t *testing.T) {
	k := &model.Key{ID: "GK1"}
	for _, c := range []struct {
		name string
		a    model.ACL
		k    *model.Key
		op   Operation
		want bool
	}{
		{"private anonymous", model.ACL{}, nil, OpGetObject, false},
		{"private key", model.ACL{}, k, OpGetObject, false},
		{"public anonymous", model.ACL{PublicRead: true}, nil, OpGetObject, true},
		{"public head", model.ACL{PublicRead: true}, nil, OpHeadObject, true},
		{"public key", model.ACL{PublicRead: true}, k, OpGetObject, true},
		{"public is not READ_ACP", model.ACL{PublicRead: true}, k, OpGetObjectAcl, false},
		{"authenticated anonymous", model.ACL{AuthenticatedRead: true}, nil, OpGetObject, false},
		{"authenticated key", model.ACL{AuthenticatedRead: true}, k, OpGetObject, true},
		{"key grant", model.ACL{Grants: []model.Grant{{KeyID: "GK1", Permission: model.PermRead}}}, k, OpGetObject, true},
		{"key grant other key", model.ACL{Grants: []model.Grant{{KeyID: "GK2", Permission: model.PermRead}}}, k, OpGetObject, false},
		{"key READ_ACP", model.ACL{Grants: []model.Grant{{KeyID: "GK1", Permission: model.PermReadACP}}}, k, OpGetObjectAcl, true},
		{"public never writes", model.ACL{PublicRead: true}, nil, OpPutObject, false},
	} {
		if got := objectGrants(c.a, c.k, c.op); got != c.want {
			t.Errorf("%s: objectGrants = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRouteACLAndPolicy(t *testing.T) {
	for _, c := range []struct {
		method, key, query string
		want               Operation
	}{
		{http.MethodGet, "", "acl", OpGetBucketAcl},
		{http.MethodPut, "", "acl", OpPutBucketAcl},
		{http.MethodGet, "k", "acl", OpGetObjectAcl},
		{http.MethodPut, "k", "acl", OpPutObjectAcl},
		{http.MethodGet, "", "policy", OpGetBucketPolicy},
		{http.MethodPut, "", "policy", OpPutBucketPolicy},
		{http.MethodDelete, "", "policy", OpDeleteBucketPolicy},
		{http.MethodGet, "", "policyStatus", OpGetBucketPolicyStatus},
		{http.MethodPost, "", "policy", OpUnsupported},
		{http.MethodPut, "", "policyStatus", OpUnsupported},
		{http.MethodGet, "k", "policy", OpUnsupported},
	} {
		q, _ := url.ParseQuery(c.query)
		if got := route(c.method, "b", c.key, q, http.Header{}); got != c.want {
			t.Errorf("route(%s %q ?%s) = %s, want %s", c.method, c.key, c.query, got, c.want)
		}
	}
	for _, op := range []Operation{OpPutBucketAcl, OpGetBucketPolicy, OpPutBucketPolicy, OpDeleteBucketPolicy, OpGetBucketPolicyStatus} {
		if op.access() != accessOwner {
			t.Errorf("%s needs %d, want owner", op, op.access())
		}
	}
	for op := range anonymousOps {
		if op.access() != accessRead {
			t.Errorf("anonymous op %s is not a read", op)
		}
	}
}
