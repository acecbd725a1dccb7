package model

import (
	"github.com/garage-web/garage-web/table/crdt"
)

// WebsiteConfig is a bucket's S3 website configuration, kept as the XML
// document the client sent plus the fields the web server needs.
type WebsiteConfig struct {
	IndexDocument string `json:"index"`
	ErrorDocument string `json:"error,omitempty"`
	// XML is the PutBucketWebsite body (RedirectAllRequestsTo,
	// RoutingRules...), returned as is by GetBucketWebsite and interpreted
	// by the web endpoint. Empty when set through the admin API.
	XML string `json:"xml,omitempty"`
	// Uploads lets the web endpoint accept HTTP PUT uploads (Nix's
	// `nix copy --to http://…`) from keys with write permission.
	Uploads bool `json:"uploads,omitempty"`
}

// Bucket is a bucket's identity and configuration.
type Bucket struct {
	ID      string                    `json:"id"`
	Created uint64                    `json:"created"`
	Deleted crdt.Bool                 `json:"deleted,omitempty"`
	Aliases crdt.LWWMap[string, bool] `json:"aliases,omitempty"`
	// Website is nil when website access is disabled.
	Website crdt.LWW[*WebsiteConfig] `json:"website"`
	// CORS holds the PutBucketCors XML document; "" when none.
	CORS crdt.LWW[string] `json:"cors"`
	// Tags is the bucket's tag set (PutBucketTagging), as the S3 front end
	// encodes it; "" when none.
	Tags crdt.LWW[string] `json:"tags,omitempty"`
	// ACL is the bucket's access control list; nil when never set
	// (private). See acl.go.
	ACL crdt.LWW[*ACL] `json:"acl,omitzero"`
	// Policy holds the PutBucketPolicy JSON document; "" when none.
	Policy crdt.LWW[string] `json:"policy,omitzero"`
}

// PartitionKey implements table.Entry: all buckets share one partition.
func (b Bucket) PartitionKey() []byte { return nil }

// SortKey implements table.Entry.
func (b Bucket) SortKey() []byte { return []byte(b.ID) }

// IsTombstone implements table.Entry.
func (b Bucket) IsTombstone() bool { return bool(b.Deleted) }

// Merge implements table.Entry.
func (b Bucket) Merge(o Bucket) Bucket {
	out := b
	if b.Created == 0 || (o.Created != 0 && o.Created < b.Created) {
		out.Created = o.Created
	}
	out.Deleted = b.Deleted.Merge(o.Deleted)
	out.Aliases = b.Aliases.Merge(o.Aliases)
	out.Website = b.Website.Merge(o.Website)
	out.CORS = b.CORS.Merge(o.CORS)
	out.ACL = b.ACL.Merge(o.ACL)
	out.Policy = b.Policy.Merge(o.Policy)
	out.Tags = b.Tags.Merge(o.Tags)
	return out
}

// GlobalAliases returns the bucket's current global names, sorted.
func (b Bucket) GlobalAliases() []string {
	var out []string
	for _, name := range b.Aliases.Keys() {
		if b.Aliases[name].Value {
			out = append(out, name)
		}
	}
	return out
}

// Alias maps a global bucket name to a bucket id ("" once removed).
type Alias struct {
	Name   string           `json:"name"`
	Bucket crdt.LWW[string] `json:"bucket"`
}

// PartitionKey implements table.Entry.
func (a Alias) PartitionKey() []byte { return nil }

// SortKey implements table.Entry.
func (a Alias) SortKey() []byte { return []byte(a.Name) }

// IsTombstone implements table.Entry.
func (a Alias) IsTombstone() bool { return a.Bucket.Value == "" }

// Merge implements table.Entry.
func (a Alias) Merge(o Alias) Alias {
	a.Bucket = a.Bucket.Merge(o.Bucket)
	return a
}
