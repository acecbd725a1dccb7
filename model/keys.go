package model

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

var (
	keyIDPattern  = regexp.MustCompile(`^GK[0-9a-f]{24}$`)
	secretPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// CreateKey creates an access key named name.
func (m *Model) CreateKey(ctx context.Context, name string) (Key, error) {
	ts := m.clock.Now()
	k := Key{
		ID:      "GK" + newID(12),
		Secret:  newID(32),
		Created: ts,
		Name:    crdt.NewLWW(ts, name),
	}
	if err := m.insertKeys(ctx, k); err != nil {
		return Key{}, fmt.Errorf("create key: %w", err)
	}
	return k, nil
}

// ImportKey stores an existing key id and secret (for migrations).
func (m *Model) ImportKey(ctx context.Context, id, secret, name string) (Key, error) {
	if !keyIDPattern.MatchString(id) {
		return Key{}, fmt.Errorf("key id %q: must be GK followed by 24 hex digits", id)
	}
	if !secretPattern.MatchString(secret) {
		return Key{}, fmt.Errorf("secret key: must be 64 hex digits")
	}
	if _, err := m.GetKey(ctx, id); err == nil {
		return Key{}, fmt.Errorf("key %s: %w", id, ErrNameInUse)
	}
	ts := m.clock.Now()
	k := Key{ID: id, Secret: secret, Created: ts, Name: crdt.NewLWW(ts, name)}
	if err := m.insertKeys(ctx, k); err != nil {
		return Key{}, fmt.Errorf("import key: %w", err)
	}
	return k, nil
}

// GetKey returns the live key with id. It may be up to metaCacheTTL old
// when the key was changed on another node.
func (m *Model) GetKey(ctx context.Context, id string) (Key, error) {
	if k, ok, refresh := m.keyCache.get(id, time.Now()); ok {
		if refresh {
			refreshInBackground(ctx, &m.keyCache, id, func(ctx context.Context) error {
				_, err := m.GetKeyFresh(ctx, id)
				return err
			})
		}
		return k, nil
	}
	return m.GetKeyFresh(ctx, id)
}

// GetKeyFresh reads the key at quorum, bypassing the cache (and refreshing
// it). Callers use it when a cached key refuses something: a grant made
// through another node may be less than metaCacheTTL old.
func (m *Model) GetKeyFresh(ctx context.Context, id string) (Key, error) {
	now, gen := time.Now(), m.keyCache.generation()
	k, ok, err := m.keys.Get(ctx, nil, []byte(id))
	if err != nil {
		return Key{}, fmt.Errorf("read key: %w", err)
	}
	m.clock.Observe(k.maxTS())
	if !ok || k.IsTombstone() {
		m.keyCache.drop(id, gen)
		return Key{}, fmt.Errorf("key %s: %w", id, ErrNoSuchAccessKey)
	}
	m.keyCache.put(id, k, now, gen)
	return k, nil
}

// FindKey returns the key whose id or name is ref (a unique id prefix of
// at least 6 characters also works).
func (m *Model) FindKey(ctx context.Context, ref string) (Key, error) {
	if k, err := m.GetKey(ctx, ref); err == nil {
		return k, nil
	} else if !errors.Is(err, ErrNoSuchAccessKey) {
		return Key{}, err
	}
	keys, err := m.ListKeys(ctx)
	if err != nil {
		return Key{}, err
	}
	var found []Key
	for _, k := range keys {
		if k.Name.Value == ref || (len(ref) >= 6 && len(k.ID) > len(ref) && k.ID[:len(ref)] == ref) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return Key{}, fmt.Errorf("key %q: %w", ref, ErrNoSuchAccessKey)
	case 1:
		return found[0], nil
	}
	return Key{}, fmt.Errorf("key %q matches %d keys: use the key id", ref, len(found))
}

// ListKeys returns every live key, ordered by id.
func (m *Model) ListKeys(ctx context.Context) ([]Key, error) {
	keys, err := m.keys.Range(ctx, nil, table.RangeQuery{})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// UpdateKey changes a key's name and/or its right to create buckets.
func (m *Model) UpdateKey(ctx context.Context, id string, name *string, allowCreateBucket *bool) (Key, error) {
	k, err := m.GetKey(ctx, id)
	if err != nil {
		return Key{}, err
	}
	upd := Key{ID: k.ID}
	if name != nil {
		upd.Name = crdt.NewLWW(m.clock.After(k.Name.TS), *name)
	}
	if allowCreateBucket != nil {
		upd.AllowCreateBucket = crdt.NewLWW(m.clock.After(k.AllowCreateBucket.TS), *allowCreateBucket)
	}
	if err := m.insertKeys(ctx, upd); err != nil {
		return Key{}, fmt.Errorf("update key: %w", err)
	}
	return k.Merge(upd), nil
}

// DeleteKey deletes a key and its grants.
func (m *Model) DeleteKey(ctx context.Context, id string) error {
	k, err := m.GetKey(ctx, id)
	if err != nil {
		return err
	}
	if err := m.insertKeys(ctx, Key{ID: k.ID, Deleted: true}); err != nil {
		return fmt.Errorf("delete key: %w", err)
	}
	return nil
}

// SetPermissions sets the rights of key id on bucket bucketID.
func (m *Model) SetPermissions(ctx context.Context, bucketID, keyID string, p Permissions) error {
	k, err := m.GetKey(ctx, keyID)
	if err != nil {
		return err
	}
	if _, err := m.GetBucket(ctx, bucketID); err != nil {
		return err
	}
	ts := m.clock.After(k.Buckets[bucketID].TS)
	upd := Key{ID: k.ID, Buckets: crdt.LWWMap[string, Permissions]{}.Set(bucketID, ts, p)}
	if err := m.insertKeys(ctx, upd); err != nil {
		return fmt.Errorf("set permissions: %w", err)
	}
	return nil
}

// KeysOfBucket returns the keys with any right on bucket id.
func (m *Model) KeysOfBucket(ctx context.Context, bucketID string) ([]Key, error) {
	keys, err := m.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(keys, func(k Key) bool { return !k.Permissions(bucketID).Any() }), nil
}
