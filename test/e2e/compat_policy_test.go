package e2e

// Bucket policies (issue 10): the subset that lets everyone read a bucket
// or a prefix (s3:GetObject) and list it (s3:ListBucket) works; every
// statement, action, principal, condition or resource beyond it is
// refused with MalformedPolicy naming it, and changes nothing.

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// policyDoc is a one-statement policy with the given statement members.
func policyDoc(members string) string {
	return `{"Version":"2012-10-17","Statement":[{` + members + `}]}`
}

func getOnly(bucket, resource string) string {
	return policyDoc(`"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/` + resource + `"`)
}

func TestPolicyPublicPrefix(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "policy-prefix")
	e.put(t, e.c, bucket, "public/a.txt", []byte("inside"))
	e.put(t, e.c, bucket, "private/b.txt", []byte("outside"))
	e.put(t, e.c, bucket, "publicity", []byte("near miss"))

	_, err := e.c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
	wantAPIErr(t, err, "NoSuchBucketPolicy", 404)
	_, err = e.c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: &bucket})
	wantAPIErr(t, err, "NoSuchBucketPolicy", 404)

	doc := getOnly(bucket, "public/*")
	if _, err := e.c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if got := e.wantAnonymous(t, "GET", "/"+bucket+"/public/a.txt", 200, ""); string(got) != "inside" {
		t.Fatalf("public body %q", got)
	}
	e.wantAnonymous(t, "HEAD", "/"+bucket+"/public/a.txt", 200, "")
	e.wantAnonymous(t, "GET", "/"+bucket+"/private/b.txt", 403, "AccessDenied")
	e.wantAnonymous(t, "GET", "/"+bucket+"/publicity", 403, "AccessDenied")
	e.wantAnonymous(t, "GET", "/"+bucket+"/public/missing", 403, "AccessDenied") // no s3:ListBucket: no NoSuchKey
	e.wantAnonymous(t, "GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")
	for _, m := range []string{"PUT", "DELETE"} {
		s, body := e.anonymous(t, m, "/"+bucket+"/public/a.txt", []byte("x"))
		if s != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
			t.Fatalf("unsigned %s inside the public prefix: HTTP %d %q", m, s, clip(string(body)))
		}
	}
	e.wantObject(t, bucket, "public/a.txt", []byte("inside"))

	got, err := e.c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Policy) != doc {
		t.Fatalf("GetBucketPolicy %q, want %q", aws.ToString(got.Policy), doc)
	}
	st, err := e.c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if st.PolicyStatus == nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("policy status %+v, want public", st.PolicyStatus)
	}

	t.Run("OwnerOnly", func(t *testing.T) {
		rw := e.keyWithoutCreate(t, "policy-rw")
		e.allow(t, bucket, rw, "--read", "--write")
		c := e.client(rw)
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(getOnly(bucket, "*"))})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &bucket})
		wantAPIErr(t, err, "AccessDenied", 403)
		_, err = e.client(e.keyWithoutCreate(t, "policy-none")).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(getOnly(bucket, "*"))})
		wantAPIErr(t, err, "AccessDenied", 403)
		e.wantAnonymous(t, "GET", "/"+bucket+"/private/b.txt", 403, "AccessDenied")
	})

	t.Run("ListBucket", func(t *testing.T) {
		list := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:ListBucket"],` +
			`"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/public/*"]}]}`
		if _, err := e.c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(list)}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "policy with s3:ListBucket in force", func() bool { return e.anonymousStatus(t, "GET", "/"+bucket+"?list-type=2") == 200 })
		e.wantAnonymous(t, "GET", "/"+bucket+"/public/missing", 404, "NoSuchKey")
		e.wantAnonymous(t, "GET", "/"+bucket+"/private/b.txt", 403, "AccessDenied")
	})

	t.Run("Delete", func(t *testing.T) {
		if _, err := e.c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &bucket}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "policy removed", func() bool { return e.anonymousStatus(t, "GET", "/"+bucket+"/public/a.txt") == 403 })
		e.wantAnonymous(t, "GET", "/"+bucket+"/public/a.txt", 403, "AccessDenied")
		e.wantAnonymous(t, "GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")
		_, err := e.c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
		wantAPIErr(t, err, "NoSuchBucketPolicy", 404)
	})
}

func TestPolicyRefusals(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	bucket := e.bucket(t, "policy-refused")
	e.put(t, e.c, bucket, "a", []byte("a"))
	arn := "arn:aws:s3:::" + bucket
	allow := `"Effect":"Allow","Principal":"*","Action":"s3:GetObject"`
	tests := []struct{ name, doc, says string }{
		{"deny", policyDoc(`"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*"`), "Deny"},
		{"condition", policyDoc(allow + `,"Resource":"` + arn + `/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}`), "Condition"},
		{"not principal", policyDoc(`"Effect":"Allow","NotPrincipal":{"AWS":"x"},"Action":"s3:GetObject","Resource":"` + arn + `/*"`), "NotPrincipal"},
		{"not action", policyDoc(`"Effect":"Allow","Principal":"*","NotAction":"s3:PutObject","Resource":"` + arn + `/*"`), "NotAction"},
		{"not resource", policyDoc(allow + `,"NotResource":"` + arn + `/private/*"`), "NotResource"},
		{"put object", policyDoc(`"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"` + arn + `/*"`), "s3:PutObject"},
		{"all actions", policyDoc(`"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"` + arn + `/*"`), "s3:*"},
		{"account principal", policyDoc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"` + arn + `/*"`), "arn:aws:iam::123456789012:root"},
		{"service principal", policyDoc(`"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:GetObject","Resource":"` + arn + `/*"`), "Service"},
		{"other bucket", policyDoc(allow + `,"Resource":"arn:aws:s3:::someone-else/*"`), "someone-else"},
		{"wildcard inside", policyDoc(allow + `,"Resource":"` + arn + `/*.jpg"`), "only at the end"},
		{"unknown element", policyDoc(allow + `,"Resource":"` + arn + `/*","Extra":1`), "Extra"},
		{"not json", `Statement: allow everyone`, "first byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(tc.doc)})
			wantAPIErr(t, err, "MalformedPolicy", 400)
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %v does not name %q", err, tc.says)
			}
		})
	}
	_, err := e.c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
	wantAPIErr(t, err, "NoSuchBucketPolicy", 404)
	e.wantAnonymous(t, "GET", "/"+bucket+"/a", 403, "AccessDenied")
	e.wantAnonymous(t, "PUT", "/"+bucket+"/b", 403, "AccessDenied")
}

// TestPolicyAWSCLI: `aws s3api put-bucket-policy --policy file://…`, as the
// docs tell users to do it.
func TestPolicyAWSCLI(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "policy-cli")
	n.CreateBucket(t, "policy-cli", k)
	cli := n.AWS(t, k)
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(file, []byte(getOnly("policy-cli", "site/*")), 0o600); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "index.html")
	if err := os.WriteFile(src, []byte("<h1>hi</h1>"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.Must(t, "s3", "cp", src, "s3://policy-cli/site/index.html")
	cli.Must(t, "s3", "cp", src, "s3://policy-cli/hidden.html")
	cli.Must(t, "s3api", "put-bucket-policy", "--bucket", "policy-cli", "--policy", "file://"+file)
	if out := cli.Must(t, "s3api", "get-bucket-policy-status", "--bucket", "policy-cli"); !strings.Contains(out, `"IsPublic": true`) {
		t.Fatalf("get-bucket-policy-status: %s", out)
	}
	if out := n.CLI(t, "bucket", "info", "policy-cli"); !strings.Contains(out, "S3 bucket policy:") || !strings.Contains(out, "site/*") {
		t.Fatalf("bucket info does not show the policy:\n%s", out)
	}
	e := &sdkEnv{n: n, nodes: []*Node{n}, next: new(atomic.Uint64), ctx: t.Context()}
	e.wantAnonymous(t, "GET", "/policy-cli/site/index.html", 200, "")
	e.wantAnonymous(t, "GET", "/policy-cli/hidden.html", 403, "AccessDenied")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(policyDoc(`"Effect":"Allow","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::policy-cli/*"`)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := cli.Run("s3api", "put-bucket-policy", "--bucket", "policy-cli", "--policy", "file://"+bad)
	if err == nil || !strings.Contains(stderr, "MalformedPolicy") || !strings.Contains(stderr, "s3:DeleteObject") {
		t.Fatalf("aws cli with a refused policy: err %v, stderr %s", err, stderr)
	}
}
