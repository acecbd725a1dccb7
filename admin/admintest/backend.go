// Package admintest provides an in-memory admin.Backend for tests of the
// admin HTTP layer and of the CLI, in the spirit of net/http/httptest.
//
// It is not a model of the cluster: it keeps maps under a mutex, so that
// handler and CLI tests can run without storage. IDs, secrets and
// creation times are deterministic (a counter and a fixed clock), so
// tests can compare output with golden files.
package admintest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/garage-web/garage-web/admin"
)

// Epoch is the creation time of the first key or bucket; each later one is
// a minute after the previous one.
var Epoch = time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)

// Backend is an in-memory admin.Backend. The zero value is not usable;
// call New.
type Backend struct {
	mu       sync.Mutex
	node     admin.NodeInfo
	notReady error
	seq      int
	keys     map[string]*key
	buckets  map[string]*bucket
	nodes    map[string]*Node // by id
	layout   layoutState
}

type key struct {
	info admin.KeyInfo // Buckets unused
}

type bucket struct {
	id               string
	alias            string
	created          time.Time
	website, uploads bool
	indexDoc, errDoc string
	objects, bytes   int64
	perms            map[string]admin.Permissions // by access key id
}

var _ admin.Backend = (*Backend)(nil)

// New returns an empty backend describing a node with a fixed id
// (SelfID), alone in its cluster, with no role in the layout (version 0,
// replication factor 3).
func New() *Backend {
	b := &Backend{
		node: admin.NodeInfo{
			NodeID:        SelfID,
			RPCPublicAddr: "127.0.0.1:3901",
			Version:       "test",
			Zone:          "dc1",
		},
		keys:    make(map[string]*key),
		buckets: make(map[string]*bucket),
		nodes:   make(map[string]*Node),
		layout:  newLayoutState(),
	}
	b.nodes[SelfID] = &Node{ID: SelfID, Addr: "127.0.0.1:3901", Hostname: "node1", IsUp: true}
	return b
}

// SetNotReady makes Ready return err (nil: ready).
func (b *Backend) SetNotReady(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notReady = err
}

// SetUsage sets the object count and size of a bucket, so that tests can
// make DeleteBucket refuse a non-empty bucket.
func (b *Backend) SetUsage(bucketID string, objects, bytes int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.buckets[bucketID]
	if !ok {
		return noBucket(bucketID)
	}
	bk.objects, bk.bytes = objects, bytes
	return nil
}

// next returns a new sequence number and its creation time.
func (b *Backend) next() (int, time.Time) {
	b.seq++
	return b.seq, Epoch.Add(time.Duration(b.seq-1) * time.Minute)
}

func hexOf(kind string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s-%d", kind, n))
	return hex.EncodeToString(sum[:])
}

func noKey(id string) error    { return fmt.Errorf("key %q: %w", id, admin.ErrNoSuchAccessKey) }
func noBucket(id string) error { return fmt.Errorf("bucket %q: %w", id, admin.ErrNoSuchBucket) }

// NodeInfo implements admin.NodeBackend. Zone and Gateway come from the
// node's role in the applied layout, when it has one.
func (b *Backend) NodeInfo(context.Context) (admin.NodeInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info := b.node
	if r, ok := b.layout.roles[info.NodeID]; ok {
		info.Zone, info.Gateway = r.Zone, r.IsGateway()
	}
	return info, nil
}

// Ready implements admin.NodeBackend.
func (b *Backend) Ready(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.notReady
}

// CreateKey implements admin.KeyBackend.
func (b *Backend) CreateKey(_ context.Context, name string, force bool) (admin.KeyInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.nameFree(name, "", force); err != nil {
		return admin.KeyInfo{}, err
	}
	n, created := b.next()
	id := "GK" + hexOf("key", n)[:24]
	return b.addKey(id, hexOf("secret", n), name, created), nil
}

// ImportKey implements admin.KeyBackend.
func (b *Backend) ImportKey(_ context.Context, id, secret, name string, force bool) (admin.KeyInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !strings.HasPrefix(id, "GK") || len(id) != 26 {
		return admin.KeyInfo{}, fmt.Errorf("%w: access key id must be GK and 24 hex characters", admin.ErrBadRequest)
	}
	if _, ok := b.keys[id]; ok {
		return admin.KeyInfo{}, fmt.Errorf("key %q: %w", id, admin.ErrKeyAlreadyExists)
	}
	if err := b.nameFree(name, id, force); err != nil {
		return admin.KeyInfo{}, err
	}
	_, created := b.next()
	return b.addKey(id, secret, name, created), nil
}

// nameFree refuses a non-empty name that a key other than except has,
// unless force, as the node does; b.mu must be held.
func (b *Backend) nameFree(name, except string, force bool) error {
	if force || name == "" {
		return nil
	}
	for id, k := range b.keys {
		if k.info.Name == name && id != except {
			return fmt.Errorf("key name %q is used by key %s: %w", name, id, admin.ErrKeyNameInUse)
		}
	}
	return nil
}

func (b *Backend) addKey(id, secret, name string, created time.Time) admin.KeyInfo {
	k := &key{info: admin.KeyInfo{AccessKeyID: id, Name: name, SecretAccessKey: secret, Created: created}}
	b.keys[id] = k
	return b.keyInfo(k)
}

// keyInfo fills the key's bucket list; b.mu must be held.
func (b *Backend) keyInfo(k *key) admin.KeyInfo {
	info := k.info
	info.Buckets = nil
	for _, bk := range b.buckets {
		if p, ok := bk.perms[info.AccessKeyID]; ok {
			info.Buckets = append(info.Buckets, admin.KeyBucket{ID: bk.id, GlobalAliases: []string{bk.alias}, Permissions: p})
		}
	}
	slices.SortFunc(info.Buckets, func(x, y admin.KeyBucket) int { return cmp.Compare(x.GlobalAliases[0], y.GlobalAliases[0]) })
	return info
}

// ListKeys implements admin.KeyBackend.
func (b *Backend) ListKeys(context.Context) ([]admin.KeySummary, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []admin.KeySummary
	for _, k := range b.keys {
		out = append(out, admin.KeySummary{ID: k.info.AccessKeyID, Name: k.info.Name, Created: k.info.Created})
	}
	return out, nil
}

// GetKey implements admin.KeyBackend.
func (b *Backend) GetKey(_ context.Context, id string) (admin.KeyInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.keys[id]
	if !ok {
		return admin.KeyInfo{}, noKey(id)
	}
	return b.keyInfo(k), nil
}

// RenameKey implements admin.KeyBackend.
func (b *Backend) RenameKey(_ context.Context, id, name string, force bool) error {
	return b.updateKey(id, func(k *key) error {
		if err := b.nameFree(name, id, force); err != nil {
			return err
		}
		k.info.Name = name
		return nil
	})
}

// SetKeyCreateBucket implements admin.KeyBackend.
func (b *Backend) SetKeyCreateBucket(_ context.Context, id string, allow bool) error {
	return b.updateKey(id, func(k *key) error { k.info.Permissions.CreateBucket = allow; return nil })
}

// updateKey runs f on key id with b.mu held.
func (b *Backend) updateKey(id string, f func(*key) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.keys[id]
	if !ok {
		return noKey(id)
	}
	return f(k)
}

// DeleteKey implements admin.KeyBackend.
func (b *Backend) DeleteKey(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.keys[id]; !ok {
		return noKey(id)
	}
	delete(b.keys, id)
	for _, bk := range b.buckets {
		delete(bk.perms, id)
	}
	return nil
}

// CreateBucket implements admin.BucketBackend.
func (b *Backend) CreateBucket(_ context.Context, alias string) (admin.BucketInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !validBucketName(alias) {
		return admin.BucketInfo{}, fmt.Errorf("%q: %w", alias, admin.ErrInvalidBucketName)
	}
	for _, bk := range b.buckets {
		if bk.alias == alias {
			return admin.BucketInfo{}, fmt.Errorf("bucket %q: %w", alias, admin.ErrBucketAlreadyExists)
		}
	}
	n, created := b.next()
	bk := &bucket{id: hexOf("bucket", n), alias: alias, created: created, perms: make(map[string]admin.Permissions)}
	b.buckets[bk.id] = bk
	return b.bucketInfo(bk), nil
}

// validBucketName applies the S3 naming rules, loosely.
func validBucketName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// bucketInfo describes bk; b.mu must be held.
func (b *Backend) bucketInfo(bk *bucket) admin.BucketInfo {
	info := admin.BucketInfo{
		ID: bk.id, GlobalAliases: []string{bk.alias}, Created: bk.created,
		WebsiteAccess: bk.website, Objects: bk.objects, Bytes: bk.bytes,
	}
	if bk.website {
		info.WebsiteConfig = &admin.WebsiteConfig{IndexDocument: bk.indexDoc, ErrorDocument: bk.errDoc, Uploads: bk.uploads}
	}
	for id, p := range bk.perms {
		info.Keys = append(info.Keys, admin.BucketKey{AccessKeyID: id, Name: b.keys[id].info.Name, Permissions: p})
	}
	slices.SortFunc(info.Keys, func(x, y admin.BucketKey) int { return cmp.Compare(x.AccessKeyID, y.AccessKeyID) })
	return info
}

// ListBuckets implements admin.BucketBackend.
func (b *Backend) ListBuckets(context.Context) ([]admin.BucketSummary, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []admin.BucketSummary
	for _, bk := range b.buckets {
		out = append(out, admin.BucketSummary{ID: bk.id, GlobalAliases: []string{bk.alias}, Created: bk.created})
	}
	return out, nil
}

// GetBucket implements admin.BucketBackend.
func (b *Backend) GetBucket(_ context.Context, id string) (admin.BucketInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.buckets[id]
	if !ok {
		return admin.BucketInfo{}, noBucket(id)
	}
	return b.bucketInfo(bk), nil
}

// SetBucketWebsite implements admin.BucketBackend.
func (b *Backend) SetBucketWebsite(_ context.Context, id string, cfg *admin.WebsiteConfig) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.buckets[id]
	if !ok {
		return noBucket(id)
	}
	bk.website, bk.indexDoc, bk.errDoc, bk.uploads = false, "", "", false
	if cfg != nil {
		bk.website, bk.indexDoc, bk.errDoc, bk.uploads = true, cfg.IndexDocument, cfg.ErrorDocument, cfg.Uploads
	}
	return nil
}

// DeleteBucket implements admin.BucketBackend.
func (b *Backend) DeleteBucket(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.buckets[id]
	if !ok {
		return noBucket(id)
	}
	if bk.objects > 0 {
		return fmt.Errorf("bucket %q has %d objects: %w", bk.alias, bk.objects, admin.ErrBucketNotEmpty)
	}
	delete(b.buckets, id)
	return nil
}

// EmptyBucket implements admin.BucketBackend: it deletes up to limit of
// the objects SetUsage counted.
func (b *Backend) EmptyBucket(_ context.Context, id string, limit int) (admin.EmptyBucketResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.buckets[id]
	if !ok {
		return admin.EmptyBucketResult{}, noBucket(id)
	}
	n := min(bk.objects, int64(limit))
	bk.objects -= n
	if bk.objects == 0 {
		bk.bytes = 0
	}
	return admin.EmptyBucketResult{Deleted: int(n), More: bk.objects > 0}, nil
}

// AllowBucketKey implements admin.BucketBackend.
func (b *Backend) AllowBucketKey(_ context.Context, bucketID, keyID string, p admin.Permissions) error {
	return b.changePerms(bucketID, keyID, func(cur *admin.Permissions) {
		cur.Read, cur.Write, cur.Owner = cur.Read || p.Read, cur.Write || p.Write, cur.Owner || p.Owner
	})
}

// DenyBucketKey implements admin.BucketBackend.
func (b *Backend) DenyBucketKey(_ context.Context, bucketID, keyID string, p admin.Permissions) error {
	return b.changePerms(bucketID, keyID, func(cur *admin.Permissions) {
		cur.Read, cur.Write, cur.Owner = cur.Read && !p.Read, cur.Write && !p.Write, cur.Owner && !p.Owner
	})
}

func (b *Backend) changePerms(bucketID, keyID string, f func(*admin.Permissions)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.buckets[bucketID]
	if !ok {
		return noBucket(bucketID)
	}
	if _, ok := b.keys[keyID]; !ok {
		return noKey(keyID)
	}
	p := bk.perms[keyID]
	f(&p)
	if p.Any() {
		bk.perms[keyID] = p
	} else {
		delete(bk.perms, keyID)
	}
	return nil
}
