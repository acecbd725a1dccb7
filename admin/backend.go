package admin

import "context"

// Backend is what the admin API needs from the node. The node implements
// it over its data model; the admin package only translates HTTP.
//
// Implementations must be safe for concurrent use. Errors must wrap the
// sentinels of this package (errors.go) so that they get the right status
// and code: ErrNoSuchAccessKey and ErrNoSuchBucket (both ErrNotFound),
// ErrKeyAlreadyExists, ErrBucketAlreadyExists and ErrBucketNotEmpty (all
// ErrConflict), ErrInvalidBucketName and ErrNoSuchNode (both
// ErrBadRequest), ErrBadRequest, and ErrNotImplemented (501). Any other
// error is a 500 and its text is logged, not sent.
type Backend interface {
	NodeBackend
	ClusterBackend
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

// ClusterBackend reports on the cluster and changes its layout. Layout
// changes are staged (UpdateLayout), shown (GetLayout, PreviewLayout),
// then applied with the next version number (ApplyLayout) or discarded
// (RevertLayout).
//
// The admin layer has already checked the syntax of what it passes: node
// ids are 64 lowercase hex characters, a role change is either a removal
// or has a zone and a capacity > 0 (nil: gateway), the replication factor
// is 1 to 3, peers are "ID@host:port". The backend checks the rest
// against the cluster and answers ErrNoSuchNode for a node it does not
// know and ErrBadRequest (with a message saying what to do) for a change
// it cannot make. Lists may be in any order; the admin layer sorts them.
type ClusterBackend interface {
	// ClusterStatus describes every node this node knows of.
	ClusterStatus(ctx context.Context) (ClusterStatus, error)
	// ClusterHealth sums up which nodes and partitions are available.
	ClusterHealth(ctx context.Context) (ClusterHealth, error)
	// GetLayout returns the applied layout and the staged changes.
	GetLayout(ctx context.Context) (ClusterLayout, error)
	// UpdateLayout stages role changes (each replacing a change already
	// staged for the same node) and new parameters, and returns the
	// layout with them. A removal of a node that has no role and no
	// staged change is ErrBadRequest.
	UpdateLayout(ctx context.Context, req UpdateLayoutRequest) (ClusterLayout, error)
	// PreviewLayout computes what ApplyLayout would make of the staged
	// changes, without applying them: ErrBadRequest when there are none
	// or when they cannot be satisfied (fewer storage nodes than the
	// replication factor, ...).
	PreviewLayout(ctx context.Context) (LayoutPreview, error)
	// ApplyLayout applies the staged changes as the given version, which
	// must be the current version + 1 (ErrBadRequest otherwise, with the
	// version to give), and spreads the new layout to the cluster.
	ApplyLayout(ctx context.Context, version uint64) (ApplyLayoutResult, error)
	// RevertLayout discards the staged changes and returns the layout.
	RevertLayout(ctx context.Context) (ClusterLayout, error)
	// LayoutHistory lists the layout versions this node keeps.
	LayoutHistory(ctx context.Context) (LayoutHistory, error)
	// ConnectNodes connects to each peer ("ID@host:port") and returns one
	// result per peer, in order. A failed connection is a result, not an
	// error.
	ConnectNodes(ctx context.Context, peers []string) ([]ConnectResult, error)
}

// KeyBackend manages access keys. Keys are named by their access key id;
// the admin layer resolves names and prefixes (?search=) with ListKeys.
type KeyBackend interface {
	// CreateKey makes a key with a new id and secret; name may be empty.
	// Unless force, a name another live key has is refused with
	// ErrKeyNameInUse, decided so that of concurrent calls with one name
	// (on any nodes) at most one succeeds. CreateKey, ImportKey and
	// RenameKey all check names this way.
	CreateKey(ctx context.Context, name string, force bool) (KeyInfo, error)
	// ImportKey stores a key made elsewhere (ErrKeyAlreadyExists if the id
	// is taken, ErrBadRequest if id or secret are malformed).
	ImportKey(ctx context.Context, accessKeyID, secretAccessKey, name string, force bool) (KeyInfo, error)
	// ListKeys returns every key, in any order.
	ListKeys(ctx context.Context) ([]KeySummary, error)
	// GetKey returns a key including its SecretAccessKey; the admin layer
	// removes the secret unless it was asked for.
	GetKey(ctx context.Context, accessKeyID string) (KeyInfo, error)
	// RenameKey renames a key (ErrKeyNameInUse unless force, as CreateKey;
	// the key's own name is no conflict).
	RenameKey(ctx context.Context, accessKeyID, name string, force bool) error
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
	// EmptyBucket deletes up to limit of the bucket's objects and, once
	// none is left, aborts its multipart uploads.
	EmptyBucket(ctx context.Context, id string, limit int) (EmptyBucketResult, error)
	// AllowBucketKey grants the permissions set in p; others are unchanged.
	AllowBucketKey(ctx context.Context, bucketID, accessKeyID string, p Permissions) error
	// DenyBucketKey revokes the permissions set in p; others are unchanged.
	DenyBucketKey(ctx context.Context, bucketID, accessKeyID string, p Permissions) error
}
