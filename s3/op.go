package s3

import (
	"net/http"
	"net/url"
)

// Operation is an S3 API operation, named as in the AWS API reference.
type Operation string

// The operations garage-web answers.
const (
	OpListBuckets             Operation = "ListBuckets"
	OpCreateBucket            Operation = "CreateBucket"
	OpHeadBucket              Operation = "HeadBucket"
	OpDeleteBucket            Operation = "DeleteBucket"
	OpGetBucketLocation       Operation = "GetBucketLocation"
	OpGetBucketVersioning     Operation = "GetBucketVersioning"
	OpGetBucketAcl            Operation = "GetBucketAcl"
	OpPutBucketWebsite        Operation = "PutBucketWebsite"
	OpGetBucketWebsite        Operation = "GetBucketWebsite"
	OpDeleteBucketWebsite     Operation = "DeleteBucketWebsite"
	OpPutBucketCors           Operation = "PutBucketCors"
	OpGetBucketCors           Operation = "GetBucketCors"
	OpDeleteBucketCors        Operation = "DeleteBucketCors"
	OpListObjects             Operation = "ListObjects"
	OpListObjectsV2           Operation = "ListObjectsV2"
	OpListObjectVersions      Operation = "ListObjectVersions"
	OpListMultipartUploads    Operation = "ListMultipartUploads"
	OpDeleteObjects           Operation = "DeleteObjects"
	OpPostObject              Operation = "PostObject"
	OpGetObject               Operation = "GetObject"
	OpHeadObject              Operation = "HeadObject"
	OpPutObject               Operation = "PutObject"
	OpCopyObject              Operation = "CopyObject"
	OpDeleteObject            Operation = "DeleteObject"
	OpGetObjectAcl            Operation = "GetObjectAcl"
	OpPutBucketAcl            Operation = "PutBucketAcl"
	OpPutObjectAcl            Operation = "PutObjectAcl"
	OpGetBucketPolicy         Operation = "GetBucketPolicy"
	OpPutBucketPolicy         Operation = "PutBucketPolicy"
	OpDeleteBucketPolicy      Operation = "DeleteBucketPolicy"
	OpGetBucketPolicyStatus   Operation = "GetBucketPolicyStatus"
	OpGetObjectTagging        Operation = "GetObjectTagging"
	OpPutObjectTagging        Operation = "PutObjectTagging"
	OpDeleteObjectTagging     Operation = "DeleteObjectTagging"
	OpGetBucketTagging        Operation = "GetBucketTagging"
	OpPutBucketTagging        Operation = "PutBucketTagging"
	OpDeleteBucketTagging     Operation = "DeleteBucketTagging"
	OpGetObjectAttributes     Operation = "GetObjectAttributes"
	OpCreateMultipartUpload   Operation = "CreateMultipartUpload"
	OpUploadPart              Operation = "UploadPart"
	OpUploadPartCopy          Operation = "UploadPartCopy"
	OpCompleteMultipartUpload Operation = "CompleteMultipartUpload"
	OpAbortMultipartUpload    Operation = "AbortMultipartUpload"
	OpListParts               Operation = "ListParts"
	OpPreflight               Operation = "Preflight"
	// OpUnsupported is an S3 operation garage-web does not implement.
	OpUnsupported Operation = "Unsupported"
	// OpInvalid is a request that is no S3 operation at all.
	OpInvalid Operation = "Invalid"
)

// bucketSubresources that name operations garage-web does not implement.
var unsupportedSubresources = []string{
	"policy", "policyStatus", "lifecycle", "tagging", "encryption", "object-lock", "ownershipControls",
	"logging", "notification", "replication", "accelerate", "requestPayment",
	"analytics", "metrics", "inventory", "intelligent-tiering", "publicAccessBlock",
	"retention", "legal-hold", "restore", "select", "torrent", "attributes", "versions",
}

// route returns the operation of a request on bucket and key ("" when the
// request names none).
func route(method string, bucket, key string, q url.Values, h http.Header) Operation {
	has := func(name string) bool { _, ok := q[name]; return ok }
	if method == http.MethodOptions {
		if bucket == "" {
			return OpInvalid
		}
		return OpPreflight
	}
	if bucket == "" {
		if method == http.MethodGet {
			return OpListBuckets
		}
		return OpInvalid
	}
	if key == "" {
		switch method {
		case http.MethodGet:
			switch {
			case has("location"):
				return OpGetBucketLocation
			case has("versioning"):
				return OpGetBucketVersioning
			case has("website"):
				return OpGetBucketWebsite
			case has("cors"):
				return OpGetBucketCors
			case has("tagging"):
				return OpGetBucketTagging
			case has("uploads"):
				return OpListMultipartUploads
			case has("acl"):
				return OpGetBucketAcl
			case has("policy"):
				return OpGetBucketPolicy
			case has("policyStatus"):
				return OpGetBucketPolicyStatus
			case has("versions"):
				return OpListObjectVersions
			case q.Get("list-type") == "2":
				return OpListObjectsV2
			}
		case http.MethodPut:
			switch {
			case has("website"):
				return OpPutBucketWebsite
			case has("cors"):
				return OpPutBucketCors
			case has("tagging"):
				return OpPutBucketTagging
			case has("acl"):
				return OpPutBucketAcl
			case has("policy"):
				return OpPutBucketPolicy
			case has("versioning"):
				return OpUnsupported
			}
		case http.MethodDelete:
			switch {
			case has("website"):
				return OpDeleteBucketWebsite
			case has("cors"):
				return OpDeleteBucketCors
			case has("tagging"):
				return OpDeleteBucketTagging
			case has("policy"):
				return OpDeleteBucketPolicy
			}
		case http.MethodPost:
			if has("delete") {
				return OpDeleteObjects
			}
		}
		for _, sub := range unsupportedSubresources {
			if has(sub) {
				return OpUnsupported
			}
		}
		switch method {
		case http.MethodGet:
			return OpListObjects
		case http.MethodPut:
			return OpCreateBucket
		case http.MethodDelete:
			return OpDeleteBucket
		case http.MethodHead:
			return OpHeadBucket
		case http.MethodPost:
			return OpPostObject
		}
		return OpInvalid
	}
	switch method {
	case http.MethodGet:
		switch {
		case has("uploadId"):
			return OpListParts
		case has("acl"):
			return OpGetObjectAcl
		case has("tagging"):
			return OpGetObjectTagging
		case has("attributes"):
			return OpGetObjectAttributes
		}
	case http.MethodPut:
		switch {
		case has("tagging"):
			return OpPutObjectTagging
		case has("partNumber") && has("uploadId"):
			if h.Get("X-Amz-Copy-Source") != "" {
				return OpUploadPartCopy
			}
			return OpUploadPart
		case has("acl"):
			return OpPutObjectAcl
		case h.Get("X-Amz-Copy-Source") != "":
			return OpCopyObject
		}
	case http.MethodPost:
		switch {
		case has("uploads"):
			return OpCreateMultipartUpload
		case has("uploadId"):
			return OpCompleteMultipartUpload
		}
	case http.MethodDelete:
		if has("uploadId") {
			return OpAbortMultipartUpload
		}
		if has("tagging") {
			return OpDeleteObjectTagging
		}
	}
	for _, sub := range unsupportedSubresources {
		if has(sub) {
			return OpUnsupported
		}
	}
	switch method {
	case http.MethodGet:
		return OpGetObject
	case http.MethodHead:
		return OpHeadObject
	case http.MethodPut:
		return OpPutObject
	case http.MethodDelete:
		return OpDeleteObject
	}
	return OpInvalid
}

// access is the right an operation needs on its bucket.
type access int

const (
	accessNone  access = iota // no bucket, or checked by the handler
	accessRead                // read objects and listings
	accessWrite               // write and delete objects
	accessOwner               // bucket configuration
)

func (op Operation) access() access {
	switch op {
	case OpListBuckets, OpCreateBucket, OpPostObject, OpPreflight, OpUnsupported, OpInvalid:
		return accessNone
	case OpHeadBucket, OpGetBucketLocation, OpGetBucketVersioning, OpGetBucketAcl, OpListObjects, OpListObjectsV2, OpListObjectVersions,
		OpListMultipartUploads, OpGetObject, OpHeadObject, OpGetObjectAcl, OpGetObjectTagging, OpGetObjectAttributes, OpListParts,
		OpGetBucketWebsite, OpGetBucketCors, OpGetBucketTagging:
		return accessRead
	case OpDeleteBucket, OpPutBucketTagging, OpDeleteBucketTagging, OpPutBucketWebsite, OpDeleteBucketWebsite, OpPutBucketCors, OpDeleteBucketCors,
		OpPutBucketAcl, OpGetBucketPolicy, OpPutBucketPolicy, OpDeleteBucketPolicy, OpGetBucketPolicyStatus:
		return accessOwner
	}
	return accessWrite
}
