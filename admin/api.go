package admin

import "time"

// Types of the admin API's JSON bodies, shared by the server, the client
// and the Backend.

// NodeInfo is the answer of GetNodeInfo.
type NodeInfo struct {
	NodeID        string `json:"nodeId"` // 64 hex characters
	RPCPublicAddr string `json:"rpcPublicAddr"`
	Version       string `json:"version"`
	Zone          string `json:"zone"` // "" before the node is in a layout
	// Gateway: the node's role in the current layout has no capacity (it
	// serves S3 and websites but stores no partition).
	Gateway bool `json:"gateway"`
}

// Permissions of one access key on one bucket.
type Permissions struct {
	Read  bool `json:"read"`
	Write bool `json:"write"`
	Owner bool `json:"owner"`
}

// Any reports whether at least one permission is set.
func (p Permissions) Any() bool { return p.Read || p.Write || p.Owner }

// KeyPermissions are the cluster-wide permissions of an access key.
type KeyPermissions struct {
	CreateBucket bool `json:"createBucket"`
}

// KeySummary is one entry of ListKeys.
type KeySummary struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// KeyInfo describes an access key.
type KeyInfo struct {
	AccessKeyID string `json:"accessKeyId"`
	Name        string `json:"name"`
	// SecretAccessKey is sent only by CreateKey and by GetKeyInfo with
	// showSecretKey=true.
	SecretAccessKey string         `json:"secretAccessKey,omitempty"`
	Created         time.Time      `json:"created"`
	Permissions     KeyPermissions `json:"permissions"`
	Buckets         []KeyBucket    `json:"buckets"`
}

// KeyBucket is a bucket an access key has permissions on.
type KeyBucket struct {
	ID            string      `json:"id"`
	GlobalAliases []string    `json:"globalAliases"`
	Permissions   Permissions `json:"permissions"`
}

// BucketSummary is one entry of ListBuckets.
type BucketSummary struct {
	ID            string    `json:"id"`
	GlobalAliases []string  `json:"globalAliases"`
	Created       time.Time `json:"created"`
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	ID            string    `json:"id"` // 64 hex characters
	GlobalAliases []string  `json:"globalAliases"`
	Created       time.Time `json:"created"`
	WebsiteAccess bool      `json:"websiteAccess"`
	// WebsiteConfig is nil when website access is disabled.
	WebsiteConfig *WebsiteConfig `json:"websiteConfig"`
	Keys          []BucketKey    `json:"keys"`
	// ACL summarizes the bucket's S3 ACL when it grants anything beyond
	// key permissions ("public-read", or its grants); "" when private.
	ACL string `json:"acl,omitempty"`
	// Policy is the bucket's S3 policy document; "" when none.
	Policy  string `json:"policy,omitempty"`
	Objects int64  `json:"objects"`
	Bytes   int64  `json:"bytes"`
}

// WebsiteConfig is how a bucket is served as a website.
type WebsiteConfig struct {
	IndexDocument string `json:"indexDocument"`
	ErrorDocument string `json:"errorDocument"` // "" for none
	Uploads       bool   `json:"uploads"`       // HTTP PUT on the web endpoint
	// RedirectAllRequestsTo and RoutingRules are set over S3
	// (PutBucketWebsite) and shown here; UpdateBucket keeps them.
	RedirectAllRequestsTo *WebsiteRedirect     `json:"redirectAllRequestsTo,omitempty"`
	RoutingRules          []WebsiteRoutingRule `json:"routingRules,omitempty"`
}

// WebsiteRedirect is where every request to a website is redirected.
type WebsiteRedirect struct {
	HostName string `json:"hostName"`
	Protocol string `json:"protocol,omitempty"` // "" keeps the request's
}

// WebsiteRoutingRule is one S3 website routing rule: a condition (empty
// fields match everything) and a redirect.
type WebsiteRoutingRule struct {
	KeyPrefixEquals             string `json:"keyPrefixEquals,omitempty"`
	HTTPErrorCodeReturnedEquals string `json:"httpErrorCodeReturnedEquals,omitempty"`
	HostName                    string `json:"hostName,omitempty"`
	Protocol                    string `json:"protocol,omitempty"`
	HTTPRedirectCode            string `json:"httpRedirectCode,omitempty"`
	ReplaceKeyPrefixWith        string `json:"replaceKeyPrefixWith,omitempty"`
	ReplaceKeyWith              string `json:"replaceKeyWith,omitempty"`
}

// BucketKey is an access key with permissions on a bucket.
type BucketKey struct {
	AccessKeyID string      `json:"accessKeyId"`
	Name        string      `json:"name"`
	Permissions Permissions `json:"permissions"`
}

// CreateKeyRequest is the body of CreateKey. A name another key has is
// refused (409 KeyNameInUse) unless Force.
type CreateKeyRequest struct {
	Name  string `json:"name"`
	Force bool   `json:"force,omitempty"`
}

// ImportKeyRequest is the body of ImportKey.
type ImportKeyRequest struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Name            string `json:"name"`
	// Force allows a name another key has (else 409 KeyNameInUse).
	Force bool `json:"force,omitempty"`
}

// UpdateKeyRequest is the body of UpdateKey; nil fields are left alone.
type UpdateKeyRequest struct {
	Name  *string         `json:"name,omitempty"`
	Allow *KeyPermissions `json:"allow,omitempty"`
	Deny  *KeyPermissions `json:"deny,omitempty"`
	// Force allows renaming to a name another key has (else 409
	// KeyNameInUse).
	Force bool `json:"force,omitempty"`
}

// CreateBucketRequest is the body of CreateBucket.
type CreateBucketRequest struct {
	GlobalAlias string `json:"globalAlias"`
}

// UpdateBucketRequest is the body of UpdateBucket; nil fields are left
// alone.
type UpdateBucketRequest struct {
	WebsiteAccess *WebsiteAccess `json:"websiteAccess,omitempty"`
}

// WebsiteAccess switches a bucket's website on or off. Enabling sets the
// index and error documents and uploads, and keeps the routing rules set
// over S3 (a redirection of all requests is replaced by the index
// document).
type WebsiteAccess struct {
	Enabled       bool   `json:"enabled"`
	IndexDocument string `json:"indexDocument,omitempty"` // required when Enabled
	ErrorDocument string `json:"errorDocument,omitempty"`
	// Uploads lets the web endpoint accept HTTP PUT uploads (for Nix
	// binary caches) authenticated with a key that may write the bucket.
	Uploads bool `json:"uploads,omitempty"`
}

// BucketKeyRequest is the body of AllowBucketKey and DenyBucketKey: the
// permissions set to true are granted, or revoked.
type BucketKeyRequest struct {
	BucketID    string      `json:"bucketId"`
	AccessKeyID string      `json:"accessKeyId"`
	Permissions Permissions `json:"permissions"`
}

// HealthStatus is the body of /health.
type HealthStatus struct {
	Status  string `json:"status"` // "healthy", "degraded" or "unavailable"
	Message string `json:"message,omitempty"`
}

// ErrorResponse is the body of every error response.
type ErrorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path"`
}

// Lists are encoded as [] rather than null.

func (k *KeyInfo) normalize() {
	if k.Buckets == nil {
		k.Buckets = []KeyBucket{}
	}
	for i := range k.Buckets {
		if k.Buckets[i].GlobalAliases == nil {
			k.Buckets[i].GlobalAliases = []string{}
		}
	}
}

func (b *BucketInfo) normalize() {
	if b.GlobalAliases == nil {
		b.GlobalAliases = []string{}
	}
	if b.Keys == nil {
		b.Keys = []BucketKey{}
	}
	if !b.WebsiteAccess {
		b.WebsiteConfig = nil
	}
}
