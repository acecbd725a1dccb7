package model

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// Garbage collection of Nix caches: narinfos neither uploaded nor fetched
// within a window go, with every NAR no remaining narinfo references.
// Pinned store paths and the closures (narinfo References) of every kept
// narinfo stay.
//
//	nixaccess  pk bucket id  sk narinfo key  NixAccess (last fetch)

// NixAccess is when a narinfo was last fetched through the web endpoint.
type NixAccess struct {
	Bucket string         `json:"bucket"`
	Key    string         `json:"key"`
	Last   crdt.LWW[bool] `json:"last"` // the timestamp is the access time
}

// PartitionKey implements table.Entry.
func (a NixAccess) PartitionKey() []byte { return []byte(a.Bucket) }

// SortKey implements table.Entry.
func (a NixAccess) SortKey() []byte { return []byte(a.Key) }

// IsTombstone implements table.Entry.
func (a NixAccess) IsTombstone() bool { return !a.Last.Value }

// Merge implements table.Entry: the latest access wins.
func (a NixAccess) Merge(o NixAccess) NixAccess {
	a.Last = a.Last.Merge(o.Last)
	return a
}

func openNixAccessTable(local *table.Local, placement table.Placement) (*table.Table[NixAccess], error) {
	return table.New(table.Schema[NixAccess]{Name: "nixaccess", Encode: encodeEntry[NixAccess], Decode: decodeEntry[NixAccess]}, local, placement, table.Options[NixAccess]{})
}

// TouchNixNarinfo records a fetch of narinfo key at now. Callers throttle
// (one write per narinfo per hour is plenty for windows of days).
func (m *Model) TouchNixNarinfo(ctx context.Context, bucketID, key string, now time.Time) error {
	ts := max(uint64(now.UnixMilli()), m.clock.Now())
	return m.nixaccess.Insert(ctx, NixAccess{Bucket: bucketID, Key: key, Last: crdt.NewLWW(ts, true)})
}

// SetNixCachePin pins (or unpins) a store path (its 32-character hash
// part) of a cache: GC keeps it and its closure.
func (m *Model) SetNixCachePin(ctx context.Context, bucketID, hash string, pinned bool) error {
	if !nixHashPattern.MatchString(hash) {
		return fmt.Errorf("store path hash %q: %w", hash, ErrInvalidSiteRequest)
	}
	if _, err := m.GetBucket(ctx, bucketID); err != nil {
		return err
	}
	cur, _, err := m.nixkeys.Get(ctx, nil, []byte(bucketID))
	if err != nil {
		return fmt.Errorf("read nix cache: %w", err)
	}
	ts := m.clock.After(cur.Pins[hash].TS)
	upd := NixKey{Bucket: bucketID, Secret: cur.Secret, Pins: crdt.LWWMap[string, bool]{}.Set(hash, ts, pinned)}
	if err := m.nixkeys.Insert(ctx, upd); err != nil {
		return fmt.Errorf("write nix cache pins: %w", err)
	}
	return nil
}

// NixCachePins returns the pinned hashes of a cache, sorted.
func (m *Model) NixCachePins(ctx context.Context, bucketID string) ([]string, error) {
	cur, _, err := m.nixkeys.Get(ctx, nil, []byte(bucketID))
	if err != nil {
		return nil, fmt.Errorf("read nix cache: %w", err)
	}
	var out []string
	for _, h := range cur.Pins.Keys() {
		if cur.Pins[h].Value {
			out = append(out, h)
		}
	}
	return out, nil
}

var (
	nixHashPattern    = regexp.MustCompile(`^[0-9a-df-np-sv-z]{32}$`)
	narinfoKeyPattern = regexp.MustCompile(`^([0-9a-df-np-sv-z]{32})\.narinfo$`)
)

// NixGCResult is what NixCacheGC removed (or, dry, would remove).
type NixGCResult struct {
	Narinfos []string `json:"narinfos"`
	Nars     []string `json:"nars"`
	Kept     int      `json:"kept"` // narinfos kept
}

type narinfoFacts struct {
	key  string
	url  string
	refs []string // hash parts
	last uint64   // ms: upload or last fetch
}

// NixCacheGC removes the narinfos of bucketID neither uploaded nor
// fetched since now-olderThan, unless pinned or in the closure of a kept
// narinfo, then the NARs (keys under "nar/") older than the window that
// no kept narinfo references. With dryRun nothing is deleted.
func (m *Model) NixCacheGC(ctx context.Context, bucketID string, olderThan time.Duration, now time.Time, dryRun bool) (NixGCResult, error) {
	cutoff := uint64(now.Add(-olderThan).UnixMilli())
	narinfos := map[string]*narinfoFacts{} // by hash
	nars := map[string]uint64{}            // key -> upload time
	start := ""
	for {
		page, err := m.ListObjects(ctx, ListInput{BucketID: bucketID, StartAfter: start, MaxKeys: 1000})
		if err != nil {
			return NixGCResult{}, err
		}
		for _, o := range page.Objects {
			if mm := narinfoKeyPattern.FindStringSubmatch(o.Key); mm != nil {
				f, err := m.readNarinfo(ctx, o.Version)
				if err != nil {
					return NixGCResult{}, fmt.Errorf("read %s: %w", o.Key, err)
				}
				f.key, f.last = o.Key, o.Version.TS
				narinfos[mm[1]] = f
			} else if strings.HasPrefix(o.Key, "nar/") {
				nars[o.Key] = o.Version.TS
			}
			start = o.Key
		}
		if !page.IsTruncated {
			break
		}
	}
	access, err := m.nixaccess.Range(ctx, []byte(bucketID), table.RangeQuery{})
	if err != nil {
		return NixGCResult{}, fmt.Errorf("read nix cache accesses: %w", err)
	}
	for _, a := range access {
		if mm := narinfoKeyPattern.FindStringSubmatch(a.Key); mm != nil {
			if f := narinfos[mm[1]]; f != nil && a.Last.TS > f.last {
				f.last = a.Last.TS
			}
		}
	}
	pins, err := m.NixCachePins(ctx, bucketID)
	if err != nil {
		return NixGCResult{}, err
	}
	keep := map[string]bool{}
	var walk func(h string)
	walk = func(h string) {
		if keep[h] {
			return
		}
		keep[h] = true
		if f := narinfos[h]; f != nil {
			for _, r := range f.refs {
				walk(r)
			}
		}
	}
	for _, h := range pins {
		walk(h)
	}
	for h, f := range narinfos {
		if f.last >= cutoff {
			walk(h)
		}
	}
	var res NixGCResult
	used := map[string]bool{}
	for h, f := range narinfos {
		if keep[h] {
			res.Kept++
			used[f.url] = true
		} else {
			res.Narinfos = append(res.Narinfos, f.key)
		}
	}
	for key, ts := range nars {
		if !used[key] && ts < cutoff {
			res.Nars = append(res.Nars, key)
		}
	}
	sort.Strings(res.Narinfos)
	sort.Strings(res.Nars)
	if dryRun {
		return res, nil
	}
	for _, key := range append(append([]string{}, res.Narinfos...), res.Nars...) {
		if err := m.DeleteObject(ctx, bucketID, key); err != nil {
			return res, fmt.Errorf("delete %s: %w", key, err)
		}
	}
	return res, nil
}

// readNarinfo reads the URL and the references' hash parts of a narinfo.
func (m *Model) readNarinfo(ctx context.Context, v ObjectVersion) (*narinfoFacts, error) {
	size := int64(1 << 20)
	if v.Meta != nil {
		size = min(size, v.Meta.Size)
	}
	rc, err := m.Open(ctx, v, 0, size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, size))
	if err != nil {
		return nil, err
	}
	f := &narinfoFacts{}
	for _, line := range strings.Split(string(data), "\n") {
		k, val, ok := strings.Cut(line, ": ")
		switch {
		case !ok:
		case k == "URL":
			f.url = strings.TrimSpace(val)
		case k == "References":
			for _, r := range strings.Fields(val) {
				if len(r) >= 32 {
					f.refs = append(f.refs, r[:32])
				}
			}
		}
	}
	return f, nil
}

// CountPrefix counts the visible objects of a bucket whose keys start
// with prefix, and their bytes (a NAR count: prefix "nar/"). It walks
// them: for admin requests.
func (m *Model) CountPrefix(ctx context.Context, bucketID, prefix string) (objects, bytes int64, err error) {
	start := ""
	for {
		page, err := m.ListObjects(ctx, ListInput{BucketID: bucketID, Prefix: prefix, StartAfter: start, MaxKeys: 1000})
		if err != nil {
			return 0, 0, err
		}
		for _, o := range page.Objects {
			objects++
			if o.Version.Meta != nil {
				bytes += o.Version.Meta.Size
			}
			start = o.Key
		}
		if !page.IsTruncated {
			return objects, bytes, nil
		}
	}
}
