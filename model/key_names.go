package model

import (
	"context"
	"fmt"
)

// Unique key names.
//
// People refer to keys by name, so the admin API refuses a name another
// live key has unless the caller insists (force): CreateKeyUnique,
// ImportKeyUnique and RenameKeyUnique check under the lock
// "key-name/"+name, read the keys at quorum, and write only if no other
// key has the name. Two such writes of one name, on any nodes, meet at the
// lock's holder: the second reads the first's key (written at quorum
// before the first unlocks) and fails with ErrKeyNameInUse. The lock's
// limits are those of lock.go (a partial partition, or a holder that
// stalls past its lease, can let both through); the keys then simply
// share the name, which every name-based lookup reports as ambiguous.
// The empty name is not checked: any number of keys may have no name.

func keyNameLock(name string) []byte { return []byte("key-name/" + name) }

// withFreeKeyName runs fn, which writes a key named name, while holding
// the name's lock, after checking that no live key other than except (a
// key id, or "") has the name.
func (m *Model) withFreeKeyName(ctx context.Context, name, except string, fn func() error) error {
	if name == "" {
		return fn()
	}
	return m.withLock(ctx, keyNameLock(name), func() error {
		keys, err := m.ListKeys(ctx) // a quorum read, never the key cache
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.Name.Value == name && k.ID != except && !k.IsTombstone() {
				return fmt.Errorf("key name %q is used by key %s: %w", name, k.ID, ErrKeyNameInUse)
			}
		}
		return fn()
	})
}

// CreateKeyUnique is CreateKey refusing, with ErrKeyNameInUse, a name
// another live key has.
func (m *Model) CreateKeyUnique(ctx context.Context, name string) (Key, error) {
	var k Key
	err := m.withFreeKeyName(ctx, name, "", func() (err error) {
		k, err = m.CreateKey(ctx, name)
		return err
	})
	return k, err
}

// ImportKeyUnique is ImportKey refusing, with ErrKeyNameInUse, a name
// another live key has.
func (m *Model) ImportKeyUnique(ctx context.Context, id, secret, name string) (Key, error) {
	var k Key
	err := m.withFreeKeyName(ctx, name, id, func() (err error) {
		k, err = m.ImportKey(ctx, id, secret, name)
		return err
	})
	return k, err
}

// RenameKeyUnique renames key id to name, refusing with ErrKeyNameInUse a
// name another live key has (the key's own name is no conflict).
func (m *Model) RenameKeyUnique(ctx context.Context, id, name string) (Key, error) {
	var k Key
	err := m.withFreeKeyName(ctx, name, id, func() (err error) {
		k, err = m.UpdateKey(ctx, id, &name, nil)
		return err
	})
	return k, err
}
