package model

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// Nix binary cache signing keys: a cache bucket can hold the secret key
// the web endpoint signs its narinfos with, so that `nix copy --to`
// pushers need no key (docs/web.md, examples/nix-cache).
//
//	nixkeys  pk ""  sk bucket id  NixKey
//
// The key is secret: it is read by the web endpoint and set through the
// admin API only, never served.
type NixKey struct {
	Bucket string `json:"bucket"`
	// Secret is the key in Nix's format (NAME:BASE64); "" once removed.
	Secret crdt.LWW[string] `json:"secret"`
	// Pins are the pinned store paths (hash parts; false once unpinned),
	// kept by garbage collection with their closures (site_nixgc.go).
	Pins crdt.LWWMap[string, bool] `json:"pins,omitempty"`
}

// PartitionKey implements table.Entry.
func (k NixKey) PartitionKey() []byte { return nil }

// SortKey implements table.Entry.
func (k NixKey) SortKey() []byte { return []byte(k.Bucket) }

// IsTombstone implements table.Entry: never (pins outlive a key).
func (k NixKey) IsTombstone() bool { return false }

// Merge implements table.Entry: the newer key wins, pins merge by pin.
func (k NixKey) Merge(o NixKey) NixKey {
	k.Secret = k.Secret.Merge(o.Secret)
	k.Pins = k.Pins.Merge(o.Pins)
	return k
}

func openNixKeyTable(local *table.Local, placement table.Placement) (*table.Table[NixKey], error) {
	return table.New(table.Schema[NixKey]{Name: "nixkeys", Encode: encodeEntry[NixKey], Decode: decodeEntry[NixKey]}, local, placement, table.Options[NixKey]{})
}

// SetNixCacheKey stores the signing key of bucket bucketID ("" removes
// it). The caller checked its format.
func (m *Model) SetNixCacheKey(ctx context.Context, bucketID, secret string) error {
	if _, err := m.GetBucket(ctx, bucketID); err != nil {
		return err
	}
	cur, _, err := m.nixkeys.Get(ctx, nil, []byte(bucketID))
	if err != nil {
		return fmt.Errorf("read nix cache key: %w", err)
	}
	m.clock.Observe(cur.Secret.TS)
	if err := m.nixkeys.Insert(ctx, NixKey{Bucket: bucketID, Secret: crdt.NewLWW(m.clock.After(cur.Secret.TS), secret), Pins: cur.Pins}); err != nil {
		return fmt.Errorf("write nix cache key: %w", err)
	}
	return nil
}

// GetNixCacheKey returns the signing key of bucket bucketID, "" when it
// has none.
func (m *Model) GetNixCacheKey(ctx context.Context, bucketID string) (string, error) {
	k, ok, err := m.nixkeys.Get(ctx, nil, []byte(bucketID))
	if err != nil {
		return "", fmt.Errorf("read nix cache key: %w", err)
	}
	m.clock.Observe(k.Secret.TS)
	if !ok {
		return "", nil
	}
	return k.Secret.Value, nil
}
