package model

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// Blocks stores and fetches data blocks. The local block store implements
// it; a cluster implements it over the block's replicas.
type Blocks interface {
	Write(ctx context.Context, data []byte) (storage.Hash, error)
	// ReadPooled returns a verified block in a buffer the caller gives
	// back with release once done with it.
	ReadPooled(ctx context.Context, h storage.Hash) (data []byte, release func(), err error)
}

// Config tunes the model.
type Config struct {
	// BlockSize is the size data is cut into (default 1 MiB).
	BlockSize int
	// InlineThreshold: objects smaller than this are stored in the object
	// entry itself (default 16 KiB; see docs/architecture.md).
	InlineThreshold int
	// StaleUploadAge: single-PUT uploads still in progress after this long
	// are aborted (their writer died). Default 24h.
	StaleUploadAge time.Duration
	// MinPartSize is the smallest multipart part but the last (default
	// MinPartSize, 5 MiB, as S3).
	MinPartSize int
}

func (c *Config) setDefaults() {
	if c.BlockSize <= 0 {
		c.BlockSize = 1 << 20
	}
	if c.InlineThreshold <= 0 {
		c.InlineThreshold = 16 << 10
	}
	if c.MinPartSize <= 0 {
		c.MinPartSize = MinPartSize
	}
	if c.StaleUploadAge <= 0 {
		c.StaleUploadAge = 24 * time.Hour
	}
}

// Model is the S3 data model over replicated tables.
type Model struct {
	cfg    Config
	log    *slog.Logger
	clock  *crdt.Clock
	local  *table.Local
	blocks Blocks
	refs   *storage.RefCounts
	// blockGC, if set (SetBlockCollector), replaces the local block
	// collection of Run.
	blockGC func(ctx context.Context) error
	// locker serialises the decisions that must see each other: creating
	// a bucket name, completing or aborting an upload, committing a part,
	// conditional writes (see lockKey).
	locker table.Locker
	// Short-lived caches of access keys (by id) and buckets (by global
	// name), cleared by the hooks of their tables.
	keyCache    ttlCache[Key]
	bucketCache ttlCache[Bucket]
	aliasHints  aliasHints       // bucket id each global name resolved to last
	bufs        *storage.BufPool // block-sized upload buffers

	keys       *table.Table[Key]
	buckets    *table.Table[Bucket]
	aliases    *table.Table[Alias]
	objects    *table.Table[Object]
	blocklists *table.Table[BlockListEntry]
	blockrefs  *table.Table[BlockRef]
	parts      *table.Table[Part]
	certs      *certTables             // TLS certificate storage (certs.go)
	sites      *table.Table[Site]      // sites and their deploys (site.go)
	nixkeys    *table.Table[NixKey]    // Nix cache signing keys (site_nixkey.go)
	nixaccess  *table.Table[NixAccess] // Nix cache narinfo fetches (site_nixgc.go)
}

// Task kinds of the local work queue.
const (
	taskReleaseData = "release-data" // payload: data id
	taskAbortUpload = "abort-upload" // payload: upload id
	// payload: uploadDone JSON; releases the parts a completed upload
	// does not use.
	taskCompleteUpload = "complete-upload"
	taskBlockRef       = "block-ref" // payload: BlockRef JSON
)

// Filters on the objects table.
const (
	filterVisible = "visible" // a GET would find data
	filterUploads = "uploads" // has multipart uploads in progress
	filterPuts    = "puts"    // has single PUTs in progress
)

// Open builds the model's tables on the local node. refs may be nil on a
// node that stores no blocks. clock stamps every write and is fed by every
// read (use crdt.OpenClock on a node); locker must give mutual exclusion
// among every node that writes the same tables (table.LocalLocker on a
// single node).
func Open(cfg Config, local *table.Local, placement table.Placement, blocks Blocks, refs *storage.RefCounts, clock *crdt.Clock, locker table.Locker, log *slog.Logger) (*Model, error) {
	if clock == nil || locker == nil {
		return nil, fmt.Errorf("model: a clock and a locker are required")
	}
	cfg.setDefaults()
	m := &Model{cfg: cfg, log: log, clock: clock, local: local, blocks: blocks, refs: refs, locker: locker,
		bufs: storage.NewBufPool(cfg.BlockSize, keepBlockBufs, idleBlockBufs)}
	var err error
	clearKeys := func(*table.Tx, *Key, Key) error { m.keyCache.clear(); return nil }
	if m.keys, err = table.New(table.Schema[Key]{Name: "keys", Encode: encodeEntry[Key], Decode: decodeEntry[Key], Updated: clearKeys, KeepTombstones: true}, local, placement, table.Options[Key]{}); err != nil {
		return nil, err
	}
	clearBuckets := func(*table.Tx, *Bucket, Bucket) error { m.bucketCache.clear(); return nil }
	if m.buckets, err = table.New(table.Schema[Bucket]{Name: "buckets", Encode: encodeEntry[Bucket], Decode: decodeEntry[Bucket], Updated: clearBuckets, KeepTombstones: true}, local, placement, table.Options[Bucket]{}); err != nil {
		return nil, err
	}
	clearAliases := func(*table.Tx, *Alias, Alias) error { m.bucketCache.clear(); return nil }
	if m.aliases, err = table.New(table.Schema[Alias]{Name: "aliases", Encode: encodeEntry[Alias], Decode: decodeEntry[Alias], Updated: clearAliases}, local, placement, table.Options[Alias]{}); err != nil {
		return nil, err
	}
	if m.objects, err = table.New(table.Schema[Object]{Name: "objects", Encode: encodeEntry[Object], Decode: decodeEntry[Object], DecodeLight: decodeObjectLight, Updated: objectUpdated, Stamp: Object.MaxTS, Compact: compactObject},
		local, placement, table.Options[Object]{Filters: map[string]func(Object) bool{
			filterVisible: func(o Object) bool { _, ok := o.Visible(); return ok },
			filterUploads: func(o Object) bool { return len(o.Uploads()) > 0 },
			filterPuts: func(o Object) bool {
				for _, v := range o.Versions {
					if v.State == StateUploading && !v.Multipart {
						return true
					}
				}
				return false
			},
		}}); err != nil {
		return nil, err
	}
	if m.blocklists, err = table.New(table.Schema[BlockListEntry]{Name: "blocklists", Encode: encodeEntry[BlockListEntry], Decode: decodeEntry[BlockListEntry], Updated: blockListUpdated}, local, placement, table.Options[BlockListEntry]{}); err != nil {
		return nil, err
	}
	if m.blockrefs, err = table.New(table.Schema[BlockRef]{Name: "blockrefs", Encode: encodeEntry[BlockRef], Decode: decodeEntry[BlockRef], Updated: m.blockRefUpdated}, local, placement, table.Options[BlockRef]{}); err != nil {
		return nil, err
	}
	if m.parts, err = table.New(table.Schema[Part]{Name: "parts", Encode: encodeEntry[Part], Decode: decodeEntry[Part]}, local, placement, table.Options[Part]{}); err != nil {
		return nil, err
	}
	if m.certs, err = openCertTables(local, placement); err != nil {
		return nil, err
	}
	if m.sites, err = openSiteTable(local, placement); err != nil {
		return nil, err
	}
	if m.nixkeys, err = openNixKeyTable(local, placement); err != nil {
		return nil, err
	}
	if m.nixaccess, err = openNixAccessTable(local, placement); err != nil {
		return nil, err
	}
	q := local.Queue()
	q.Handle(taskReleaseData, m.releaseData)
	q.Handle(taskAbortUpload, m.releaseUpload)
	q.Handle(taskCompleteUpload, m.finishUpload)
	q.Handle(taskBlockRef, m.insertBlockRef)
	return m, nil
}

// objectUpdated carries out what a version's new merged state implies:
// a completed version's blocks are referenced (and a completed upload's
// unused parts released), a superseded version's data is released, an
// aborted upload's data is released. It runs on every replica, from the
// merged entry only, never from what one request believed; releasing
// twice is harmless.
func objectUpdated(tx *table.Tx, old *Object, merged Object) error {
	var before Object
	if old != nil {
		before = *old
	}
	for _, v := range merged.Versions {
		prev, had := before.Version(v.UUID)
		if had && prev.State == v.State {
			continue
		}
		switch v.State {
		case StateComplete:
			if err := enqueueBlockRefs(tx, v, false); err != nil {
				return err
			}
			if err := enqueueUploadDone(tx, v); err != nil {
				return err
			}
		case StateSuperseded:
			if v.Multipart && (!had || prev.State != StateComplete) {
				// This replica never saw it complete: finish its upload.
				if err := enqueueUploadDone(tx, v); err != nil {
					return err
				}
			}
			if err := releaseVersionData(tx, v); err != nil {
				return err
			}
		case StateAborted:
			if err := abortVersionData(tx, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// uploadDone is the payload of a complete-upload task: the upload and the
// data ids its final version uses.
type uploadDone struct {
	Upload string   `json:"upload"`
	Keep   []string `json:"keep"`
}

// enqueueUploadDone queues the release of the parts of a multipart
// version's upload that its final part list does not use.
func enqueueUploadDone(tx *table.Tx, v ObjectVersion) error {
	if !v.Multipart {
		return nil
	}
	payload, err := json.Marshal(uploadDone{Upload: v.UUID, Keep: v.DataIDs()})
	if err != nil {
		return err
	}
	return tx.Enqueue(taskCompleteUpload, payload)
}

// releaseVersionData releases the data of a version that is no longer
// readable: its inline block lists directly, its other data ids through
// the blocklists table.
func releaseVersionData(tx *table.Tx, v ObjectVersion) error {
	if err := enqueueBlockRefs(tx, v, true); err != nil {
		return err
	}
	if v.Data == nil {
		return nil
	}
	for _, p := range v.Data.Parts {
		if p.Blocks == nil {
			if err := tx.Enqueue(taskReleaseData, []byte(p.DataID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// enqueueBlockRefs adds (or, with deleted, releases) the references of the
// blocks listed inline in v's parts.
func enqueueBlockRefs(tx *table.Tx, v ObjectVersion, deleted bool) error {
	if v.Data == nil {
		return nil
	}
	for _, p := range v.Data.Parts {
		var off int64
		for _, b := range p.Blocks {
			ref := BlockRef{Hash: b.Hash, User: p.DataID + "/" + strconv.FormatInt(off, 10), Size: b.Size, Deleted: crdt.Bool(deleted)}
			payload, err := json.Marshal(ref)
			if err != nil {
				return err
			}
			if err := tx.Enqueue(taskBlockRef, payload); err != nil {
				return err
			}
			off += b.Size
		}
	}
	return nil
}

func abortVersionData(tx *table.Tx, v ObjectVersion) error {
	if v.Multipart {
		return tx.Enqueue(taskAbortUpload, []byte(v.UUID))
	}
	return tx.Enqueue(taskReleaseData, []byte(v.UUID))
}

// blockListUpdated adds or releases the block reference of the entry.
func blockListUpdated(tx *table.Tx, old *BlockListEntry, merged BlockListEntry) error {
	wasLive := old != nil && !bool(old.Deleted)
	if old != nil && wasLive == !bool(merged.Deleted) {
		return nil
	}
	ref := BlockRef{Hash: merged.Hash, User: merged.DataID + "/" + strconv.FormatInt(merged.Offset, 10), Size: merged.Size, Deleted: merged.Deleted}
	payload, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	return tx.Enqueue(taskBlockRef, payload)
}

// blockRefUpdated keeps the local reference count of the block.
func (m *Model) blockRefUpdated(tx *table.Tx, old *BlockRef, merged BlockRef) error {
	if m.refs == nil || len(merged.Hash) != storage.HashSize {
		return nil
	}
	var h storage.Hash
	copy(h[:], merged.Hash)
	wasLive := old != nil && !bool(old.Deleted)
	isLive := !bool(merged.Deleted)
	switch {
	case !wasLive && isLive:
		return m.refs.Add(tx.Bolt(), h, 1, merged.Size, tx.Now())
	case wasLive && !isLive:
		return m.refs.Add(tx.Bolt(), h, -1, merged.Size, tx.Now())
	case old == nil && !isLive:
		// A deletion arriving before the insertion it cancels: record
		// nothing; the insertion merges into a deleted entry and never
		// counts.
	}
	return nil
}

func (m *Model) insertBlockRef(ctx context.Context, payload []byte) error {
	var ref BlockRef
	if err := json.Unmarshal(payload, &ref); err != nil {
		m.log.Error("dropping malformed block-ref task", "err", err)
		return nil
	}
	return m.blockrefs.Insert(ctx, ref)
}

// releaseData marks every block of a data id deleted.
func (m *Model) releaseData(ctx context.Context, payload []byte) error {
	id := string(payload)
	for {
		entries, err := m.blocklists.Range(ctx, []byte(id), table.RangeQuery{Limit: 1000})
		if err != nil {
			return fmt.Errorf("list blocks of %s: %w", id, err)
		}
		if len(entries) == 0 {
			return nil
		}
		for i := range entries {
			entries[i].Deleted = true
		}
		if err := m.blocklists.Insert(ctx, entries...); err != nil {
			return fmt.Errorf("release blocks of %s: %w", id, err)
		}
	}
}

// releaseUpload releases the data of every part of an aborted upload.
func (m *Model) releaseUpload(ctx context.Context, payload []byte) error {
	return m.clearParts(ctx, string(payload), nil)
}

// finishUpload releases the parts of a completed upload that its version
// does not use, and clears its part entries.
func (m *Model) finishUpload(ctx context.Context, payload []byte) error {
	var d uploadDone
	if err := json.Unmarshal(payload, &d); err != nil {
		m.log.Error("dropping malformed complete-upload task", "err", err)
		return nil
	}
	return m.clearParts(ctx, d.Upload, d.Keep)
}

// clearParts releases every data id the upload's parts were stored
// under, current or replaced, except those in keep, and marks the part
// entries deleted.
func (m *Model) clearParts(ctx context.Context, uploadID string, keep []string) error {
	parts, err := m.parts.Range(ctx, []byte(uploadID), table.RangeQuery{Filter: table.FilterAll})
	if err != nil {
		return fmt.Errorf("list parts of %s: %w", uploadID, err)
	}
	kept := make(map[string]bool, len(keep))
	for _, id := range keep {
		kept[id] = true
	}
	var done []Part
	for _, p := range parts {
		for _, id := range append([]string{p.Data.Value.DataID}, p.Old...) {
			if id == "" || kept[id] {
				continue
			}
			if err := m.releaseData(ctx, []byte(id)); err != nil {
				return err
			}
		}
		if !p.Deleted {
			p.Deleted = true
			done = append(done, p)
		}
	}
	if err := m.parts.Insert(ctx, done...); err != nil {
		return fmt.Errorf("clear parts of %s: %w", uploadID, err)
	}
	return nil
}

// Run runs the model's background work until ctx ends: the queue worker,
// block garbage collection and the clean-up of dead uploads.
func (m *Model) Run(ctx context.Context, gcDelay time.Duration) {
	go m.local.Queue().Run(ctx)
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	lastSweep := time.Time{}
	for {
		if time.Since(lastSweep) > time.Hour {
			n, err := m.AbortStalePuts(ctx, time.Now())
			switch {
			case errors.Is(err, table.ErrQuorum):
				// No layout yet, or too many nodes down: try again at the
				// next tick, without alarming anyone.
				m.log.Debug("clean-up of interrupted uploads postponed: no quorum", "err", err)
			case err != nil:
				m.log.Warn("clean-up of interrupted uploads failed; will retry", "err", err)
				lastSweep = time.Now()
			default:
				if n > 0 {
					m.log.Info("aborted uploads interrupted by a crash or a lost client", "count", n)
				}
				lastSweep = time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if m.blockGC != nil {
			if err := m.blockGC(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("block collection failed; will retry", "err", err)
			}
		} else if m.refs != nil {
			if n, err := m.refs.Collect(ctx, time.Now(), gcDelay); err != nil {
				m.log.Warn("block collection failed; will retry", "err", err)
			} else if n > 0 {
				m.log.Info("deleted unreferenced blocks", "count", n)
			}
		}
	}
}

// AbortStalePuts aborts single PUTs still in progress StaleUploadAge after
// they started: their writer died (a crash, a killed client) and their
// blocks would otherwise stay referenced. It walks every bucket.
func (m *Model) AbortStalePuts(ctx context.Context, now time.Time) (int, error) {
	buckets, err := m.ListBuckets(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := uint64(now.Add(-m.cfg.StaleUploadAge).UnixMilli())
	n := 0
	for _, b := range buckets {
		var start []byte
		for {
			page, err := m.objects.Range(ctx, []byte(b.ID), table.RangeQuery{Start: start, Filter: filterPuts, Limit: 500})
			if err != nil {
				return n, err
			}
			for _, o := range page {
				for _, v := range o.Versions {
					if v.State == StateUploading && !v.Multipart && v.TS < cutoff {
						v.State = StateAborted
						if err := m.objects.Insert(ctx, Object{Bucket: o.Bucket, Key: o.Key, Versions: []ObjectVersion{v}}); err != nil {
							return n, err
						}
						n++
					}
				}
			}
			if len(page) < 500 {
				break
			}
			start = append([]byte(page[len(page)-1].Key), 0)
		}
	}
	return n, nil
}

// QueueLen returns the number of pending background tasks.
func (m *Model) QueueLen() int { return m.local.Queue().Len() }

// newID returns n random bytes in hex.
func newID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	return hex.EncodeToString(b)
}

// NewUUID returns a random version / upload id.
func NewUUID() string { return newID(16) }
