package model

import (
	"github.com/garage-web/garage-web/table/crdt"
)

// Permissions are a key's rights on a bucket.
type Permissions struct {
	Read  bool `json:"read"`
	Write bool `json:"write"`
	Owner bool `json:"owner"`
}

// Any reports whether any right is granted.
func (p Permissions) Any() bool { return p.Read || p.Write || p.Owner }

// Key is an access key.
type Key struct {
	ID                string                           `json:"id"`
	Secret            string                           `json:"secret"`
	Created           uint64                           `json:"created"`
	Name              crdt.LWW[string]                 `json:"name"`
	AllowCreateBucket crdt.LWW[bool]                   `json:"allowCreateBucket"`
	Buckets           crdt.LWWMap[string, Permissions] `json:"buckets,omitempty"`
	Deleted           crdt.Bool                        `json:"deleted,omitempty"`
}

// PartitionKey implements table.Entry: all keys share one partition.
func (k Key) PartitionKey() []byte { return nil }

// SortKey implements table.Entry.
func (k Key) SortKey() []byte { return []byte(k.ID) }

// IsTombstone implements table.Entry.
func (k Key) IsTombstone() bool { return bool(k.Deleted) }

// Merge implements table.Entry.
func (k Key) Merge(o Key) Key {
	out := k
	if o.Secret > out.Secret { // ids and secrets never change; be deterministic anyway
		out.Secret = o.Secret
	}
	out.Created = max(k.Created, o.Created)
	out.Name = k.Name.Merge(o.Name)
	out.AllowCreateBucket = k.AllowCreateBucket.Merge(o.AllowCreateBucket)
	out.Buckets = k.Buckets.Merge(o.Buckets)
	out.Deleted = k.Deleted.Merge(o.Deleted)
	if out.Deleted {
		out.Buckets = nil
		out.Secret = ""
	}
	return out
}

// Permissions returns the key's rights on bucket id.
func (k Key) Permissions(bucketID string) Permissions {
	return k.Buckets[bucketID].Value
}
