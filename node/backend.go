package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/model"
)

// backend implements admin.Backend over the node's data model.
type backend struct{ n *Node }

var _ admin.Backend = (*backend)(nil)

// adminError maps model errors to the admin API's.
func adminError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, model.ErrNoSuchAccessKey):
		return fmt.Errorf("%w: %v", admin.ErrNoSuchAccessKey, err)
	case errors.Is(err, model.ErrNoSuchBucket):
		return fmt.Errorf("%w: %v", admin.ErrNoSuchBucket, err)
	case errors.Is(err, model.ErrBucketExists):
		return fmt.Errorf("%w: %v", admin.ErrBucketAlreadyExists, err)
	case errors.Is(err, model.ErrBucketNotEmpty):
		return fmt.Errorf("%w: %v", admin.ErrBucketNotEmpty, err)
	case errors.Is(err, model.ErrInvalidBucketName):
		return fmt.Errorf("%w: %v", admin.ErrInvalidBucketName, err)
	case errors.Is(err, model.ErrNameInUse):
		return fmt.Errorf("%w: %v", admin.ErrKeyAlreadyExists, err)
	case errors.Is(err, model.ErrKeyNameInUse):
		return fmt.Errorf("%w: %v", admin.ErrKeyNameInUse, err)
	}
	return err
}

func msTime(ts uint64) time.Time { return time.UnixMilli(int64(ts)).UTC() }

func (b *backend) NodeInfo(ctx context.Context) (admin.NodeInfo, error) {
	return admin.NodeInfo{NodeID: b.n.id, RPCPublicAddr: b.n.cfg.RPCPublicAddr, Version: Version}, nil
}

func (b *backend) Ready(ctx context.Context) error {
	select {
	case <-b.n.ready:
		return b.n.diskFull() // disk.go
	default:
		return admin.ErrNotReady
	}
}

func (b *backend) keyInfo(ctx context.Context, k model.Key) (admin.KeyInfo, error) {
	info := admin.KeyInfo{AccessKeyID: k.ID, Name: k.Name.Value, SecretAccessKey: k.Secret, Created: msTime(k.Created),
		Permissions: admin.KeyPermissions{CreateBucket: k.AllowCreateBucket.Value}, Buckets: []admin.KeyBucket{}}
	for _, id := range k.Buckets.Keys() {
		p := k.Buckets[id].Value
		if !p.Any() {
			continue
		}
		bk, err := b.n.model.GetBucket(ctx, id)
		if errors.Is(err, model.ErrNoSuchBucket) {
			continue
		}
		if err != nil {
			return admin.KeyInfo{}, err
		}
		info.Buckets = append(info.Buckets, admin.KeyBucket{ID: id, GlobalAliases: orEmpty(bk.GlobalAliases()), Permissions: admin.Permissions(p)})
	}
	return info, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (b *backend) CreateKey(ctx context.Context, name string, force bool) (admin.KeyInfo, error) {
	create := b.n.model.CreateKeyUnique
	if force {
		create = b.n.model.CreateKey
	}
	k, err := create(ctx, name)
	if err != nil {
		return admin.KeyInfo{}, adminError(err)
	}
	return b.keyInfo(ctx, k)
}

func (b *backend) ImportKey(ctx context.Context, id, secret, name string, force bool) (admin.KeyInfo, error) {
	importKey := b.n.model.ImportKeyUnique
	if force {
		importKey = b.n.model.ImportKey
	}
	k, err := importKey(ctx, id, secret, name)
	if err != nil {
		if !errors.Is(err, model.ErrNameInUse) && !errors.Is(err, model.ErrKeyNameInUse) {
			return admin.KeyInfo{}, fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
		}
		return admin.KeyInfo{}, adminError(err)
	}
	return b.keyInfo(ctx, k)
}

func (b *backend) ListKeys(ctx context.Context) ([]admin.KeySummary, error) {
	keys, err := b.n.model.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]admin.KeySummary, 0, len(keys))
	for _, k := range keys {
		out = append(out, admin.KeySummary{ID: k.ID, Name: k.Name.Value, Created: msTime(k.Created)})
	}
	return out, nil
}

func (b *backend) GetKey(ctx context.Context, id string) (admin.KeyInfo, error) {
	k, err := b.n.model.GetKey(ctx, id)
	if err != nil {
		return admin.KeyInfo{}, adminError(err)
	}
	return b.keyInfo(ctx, k)
}

func (b *backend) RenameKey(ctx context.Context, id, name string, force bool) error {
	var err error
	if force {
		_, err = b.n.model.UpdateKey(ctx, id, &name, nil)
	} else {
		_, err = b.n.model.RenameKeyUnique(ctx, id, name)
	}
	return adminError(err)
}

func (b *backend) SetKeyCreateBucket(ctx context.Context, id string, allow bool) error {
	_, err := b.n.model.UpdateKey(ctx, id, nil, &allow)
	return adminError(err)
}

func (b *backend) DeleteKey(ctx context.Context, id string) error {
	return adminError(b.n.model.DeleteKey(ctx, id))
}

func (b *backend) CreateBucket(ctx context.Context, alias string) (admin.BucketInfo, error) {
	bk, err := b.n.model.CreateBucket(ctx, alias, "")
	if err != nil {
		return admin.BucketInfo{}, adminError(err)
	}
	return b.GetBucket(ctx, bk.ID)
}

func (b *backend) ListBuckets(ctx context.Context) ([]admin.BucketSummary, error) {
	bs, err := b.n.model.ListBuckets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]admin.BucketSummary, 0, len(bs))
	for _, bk := range bs {
		out = append(out, admin.BucketSummary{ID: bk.ID, GlobalAliases: orEmpty(bk.GlobalAliases()), Created: msTime(bk.Created)})
	}
	return out, nil
}

func (b *backend) GetBucket(ctx context.Context, id string) (admin.BucketInfo, error) {
	bk, err := b.n.model.GetBucket(ctx, id)
	if err != nil {
		return admin.BucketInfo{}, adminError(err)
	}
	info := admin.BucketInfo{ID: bk.ID, GlobalAliases: orEmpty(bk.GlobalAliases()), Created: msTime(bk.Created), Keys: []admin.BucketKey{}}
	if w := bk.Website.Value; w != nil {
		info.WebsiteAccess = true
		info.WebsiteConfig = websiteInfo(w) // backend_website.go
	}
	if a := bk.BucketACL(); !a.IsPrivate() {
		info.ACL = a.String()
	}
	info.Policy = bk.Policy.Value
	keys, err := b.n.model.KeysOfBucket(ctx, bk.ID)
	if err != nil {
		return admin.BucketInfo{}, err
	}
	for _, k := range keys {
		info.Keys = append(info.Keys, admin.BucketKey{AccessKeyID: k.ID, Name: k.Name.Value, Permissions: admin.Permissions(k.Permissions(bk.ID))})
	}
	if info.Objects, info.Bytes, err = b.n.model.BucketStats(ctx, bk.ID); err != nil {
		return admin.BucketInfo{}, err
	}
	return info, nil
}

func (b *backend) DeleteBucket(ctx context.Context, id string) error {
	return adminError(b.n.model.DeleteBucket(ctx, id))
}

func (b *backend) EmptyBucket(ctx context.Context, id string, limit int) (admin.EmptyBucketResult, error) {
	if _, err := b.n.model.GetBucket(ctx, id); err != nil {
		return admin.EmptyBucketResult{}, adminError(err)
	}
	n, more, err := b.n.model.EmptyBucket(ctx, id, limit)
	return admin.EmptyBucketResult{Deleted: n, More: more}, adminError(err)
}

func (b *backend) changePermissions(ctx context.Context, bucketID, keyID string, p admin.Permissions, allow bool) error {
	k, err := b.n.model.GetKey(ctx, keyID)
	if err != nil {
		return adminError(err)
	}
	cur := k.Permissions(bucketID)
	set := func(field *bool, change bool) {
		if change {
			*field = allow
		}
	}
	set(&cur.Read, p.Read)
	set(&cur.Write, p.Write)
	set(&cur.Owner, p.Owner)
	return adminError(b.n.model.SetPermissions(ctx, bucketID, keyID, cur))
}

func (b *backend) AllowBucketKey(ctx context.Context, bucketID, keyID string, p admin.Permissions) error {
	return b.changePermissions(ctx, bucketID, keyID, p, true)
}

func (b *backend) DenyBucketKey(ctx context.Context, bucketID, keyID string, p admin.Permissions) error {
	return b.changePermissions(ctx, bucketID, keyID, p, false)
}
