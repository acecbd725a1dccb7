package s3

import (
	"context"
	"errors"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/policy"
	"github.com/garage-web/garage-web/s3/s3err"
)

// What lets a request through (request.grant), decided by authorize:
//
//   - grantKey: the access key's rights on the bucket (garage-web bucket
//     allow): everything its right covers.
//   - grantBucket: the bucket's ACL or policy (listing for a READ grant
//     or s3:ListBucket, reading a key a policy makes public, writing for
//     a key's WRITE grant, the ACL for READ_ACP).
//   - grantObject: nothing yet, but the object's own ACL may: the handler
//     reads the object and calls checkObjectAccess before answering.
//
// An unsigned request (accessKey nil) gets only what an ACL or policy
// makes public, and only on the operations anonymousOps lists.
type grant int

const (
	grantNone grant = iota
	grantKey
	grantBucket
	grantObject
)

// anonymousOps are the operations an unsigned request may try; anything
// else is AccessDenied before its bucket is looked at.
var anonymousOps = map[Operation]bool{
	OpGetObject: true, OpHeadObject: true, OpListObjects: true, OpListObjectsV2: true, OpHeadBucket: true,
}

// bucketPolicy returns the bucket's parsed policy (nil when none). Its
// resources name the bucket by the name it was put through, name or
// another of its global names. Stored documents were validated when they
// were put; one that no longer parses grants nothing.
func bucketPolicy(b model.Bucket, name string) *policy.Policy {
	if b.Policy.Value == "" {
		return nil
	}
	for _, n := range append([]string{name}, b.GlobalAliases()...) {
		if p, err := policy.Parse(n, []byte(b.Policy.Value)); err == nil {
			return p
		}
	}
	return nil
}

// aclReads reports whether a (a bucket's or an object's ACL) lets k read
// (k nil: an unsigned request).
func aclReads(a model.ACL, k *model.Key) bool {
	return a.PublicRead || k != nil && (a.AuthenticatedRead || a.KeyHas(k.ID, model.PermRead))
}

// decide returns what lets k (nil: anonymous) do op on key in bucket b.
func (s *Server) decide(k *model.Key, b model.Bucket, name string, op Operation, key string) grant {
	if k != nil && s.allowed(k, b, op.access()) {
		return grantKey
	}
	acl := b.BucketACL()
	switch op {
	case OpListObjects, OpListObjectsV2, OpHeadBucket:
		if aclReads(acl, k) || bucketPolicy(b, name).AllowsListBucket() {
			return grantBucket
		}
		return grantNone
	case OpGetObject, OpHeadObject:
		if bucketPolicy(b, name).AllowsGetObject(key) {
			return grantBucket
		}
		return grantObject
	case OpGetObjectAcl:
		return grantObject
	case OpGetBucketAcl:
		if k != nil && acl.KeyHas(k.ID, model.PermReadACP) {
			return grantBucket
		}
		return grantNone
	}
	if k != nil && op.access() == accessWrite && acl.KeyHas(k.ID, model.PermWrite) {
		return grantBucket
	}
	return grantNone
}

// objectGrants reports whether the object ACL a lets k (nil: anonymous)
// do op.
func objectGrants(a model.ACL, k *model.Key, op Operation) bool {
	switch op {
	case OpGetObject, OpHeadObject:
		return aclReads(a, k)
	case OpGetObjectAcl:
		return k != nil && a.KeyHas(k.ID, model.PermReadACP)
	}
	return false
}

// mayList reports whether the requester could list the bucket: only then
// may it learn that a key does not exist (NoSuchKey); others get
// AccessDenied, as in S3.
func (s *Server) mayList(req *request) bool {
	return s.decide(req.accessKey, req.bucket, req.bucketName, OpListObjectsV2, "") != grantNone
}

// checkObjectAccess completes authorize for a request let through as
// grantBucket or grantObject, once the handler read the object (v, or
// lookupErr). A refusal by the cached bucket and key is checked again at
// quorum, as authorize does, so that a grant made through another node
// works at once.
func (s *Server) checkObjectAccess(ctx context.Context, req *request, v model.ObjectVersion, lookupErr error) error {
	if lookupErr != nil {
		if !errors.Is(lookupErr, model.ErrNoSuchObject) {
			return lookupErr
		}
		if s.mayList(req) {
			return lookupErr
		}
		return s3err.ErrAccessDenied
	}
	if req.grant == grantBucket || objectGrants(v.ObjectACL(), req.accessKey, req.op) {
		return nil
	}
	b, err := s.model.ResolveBucketFresh(ctx, req.bucketName)
	if err != nil {
		return err
	}
	k := req.accessKey
	if k != nil {
		fresh, err := s.model.GetKeyFresh(ctx, k.ID)
		if err != nil {
			return s3err.ErrAccessDenied
		}
		k = &fresh
	}
	if g := s.decide(k, b, req.bucketName, req.op, req.key); g == grantKey || g == grantBucket {
		return nil
	}
	return s3err.ErrAccessDenied
}
