package admin

import "context"

// Backend is what the admin API needs from the node. The node implements
// it over its data model; the admin package only translates HTTP.
//
// Implementations must be safe for concurrent use. Errors must wrap the
// sentinels of this package (errors.go) so that they get the right status
// and code: ErrNoSuchAccessKey and ErrNoSuchBucket (both ErrNotFound),
// ErrKeyAlreadyExists, ErrBucketAlreadyExists and ErrBucketNotEmpty (all
// ErrConflict), ErrInvalidBucketName and ErrBadRequest. Any other error
// is a 500 and its text is logged, not sent.
type Backend interface {
	NodeBackend
	KeyBackend
	BucketBackend
}

// NodeBackend describes the node.
type NodeBackend interface {
	// NodeInfo describes this node.
	NodeInfo(ctx context.Context) (NodeInfo, error)
	// Ready returns nil when the node can serve requests; /health answers
	// 503 with the error's text otherwise.
	Ready(ctx context.Context) error
}

// KeyBackend manages access keys. Keys are named by their access key id;
// the admin layer resolves names and prefixes (?search=) with ListKeys.
type KeyBackend interface {
	// CreateKey makes a key with a new id and secret; name may be empty.
	CreateKey(ctx context.Context, name string) (KeyInfo, error)
	// ImportKey stores a key made elsewhere (ErrKeyAlreadyExists if the id
	// is taken, ErrBadRequest if id or secret are malformed).
	ImportKey(ctx context.Context, accessKeyID, secretAccessKey, name string) (KeyInfo, error)
	// ListKeys returns every key, in any order.
	ListKeys(ctx context.Context) ([]KeySummary, error)
	// GetKey returns a key including its SecretAccessKey; the admin layer
	// removes the secret unless it was asked for.
	GetKey(ctx context.Context, accessKeyID string) (KeyInfo, error)
	RenameKey(ctx context.Context, accessKeyID, name string) error
	// SetKeyCreateBucket grants or revokes the right to create buckets.
	SetKeyCreateBucket(ctx context.Context, accessKeyID string, allow bool) error
	// DeleteKey deletes a key and its permissions on buckets.
	DeleteKey(ctx context.Context, accessKeyID string) error
}

// BucketBackend manages buckets. Buckets are named by their id; the admin
// layer resolves aliases (?globalAlias=, ?search=) with ListBuckets.
type BucketBackend interface {
	// CreateBucket makes a bucket with the given global alias
	// (ErrBucketAlreadyExists, ErrInvalidBucketName).
	CreateBucket(ctx context.Context, globalAlias string) (BucketInfo, error)
	// ListBuckets returns every bucket, in any order.
	ListBuckets(ctx context.Context) ([]BucketSummary, error)
	GetBucket(ctx context.Context, id string) (BucketInfo, error)
	// SetBucketWebsite enables website access with the given documents
	// (errorDoc may be empty), or disables it.
	// (errorDoc may be empty), or disables it (cfg nil).
	SetBucketWebsite(ctx context.Context, id string, cfg *WebsiteConfig) error
	// DeleteBucket deletes an empty bucket (ErrBucketNotEmpty otherwise)
	// and its aliases.
	DeleteBucket(ctx context.Context, id string) error
	// AllowBucketKey grants the permissions set in p; others are unchanged.
	AllowBucketKey(ctx context.Context, bucketID, accessKeyID string, p Permissions) error
	// DenyBucketKey revokes the permissions set in p; others are unchanged.
	DenyBucketKey(ctx context.Context, bucketID, accessKeyID string, p Permissions) error
}
