package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/table"
)

// Scheduled garbage collection of Nix caches (s3_web.nix_cache_gc_interval):
// every interval, model.NixCacheGC runs with nix_cache_gc_older_than on each
// bucket that is a Nix cache, that is one with a narinfo signing key or a
// "nix-cache-info" object at its root.
//
// One node per cache does it: the first node of the applied layout's
// replica list for the partition of the bucket id that gossip sees alive.
// Every node computes the same answer from the same layout and membership;
// while they disagree (a node just died or came back) two nodes may
// collect one cache in the same period, which is harmless: a collection
// only deletes what is unreferenced, and deleting twice is a no-op.

// nixCacheStore is what scheduled Nix cache GC needs from the model.
type nixCacheStore interface {
	ListBuckets(ctx context.Context) ([]model.Bucket, error)
	GetNixCacheKey(ctx context.Context, bucketID string) (string, error)
	HeadObject(ctx context.Context, bucketID, key string) (model.ObjectVersion, error)
	NixCacheGC(ctx context.Context, bucketID string, olderThan time.Duration, now time.Time, dryRun bool) (model.NixGCResult, error)
}

var _ nixCacheStore = (*model.Model)(nil)

// nixGC is the collector loop of one node.
type nixGC struct {
	store     nixCacheStore
	olderThan time.Duration
	leads     func(bucketID string) bool // whether this node collects the cache
	log       *slog.Logger
}

// nixGCLoggedKeys bounds the removed keys named in one log line.
const nixGCLoggedKeys = 20

// run does one pass per value received from ticks, with that value as the
// current time, until ctx ends or ticks is closed.
func (g *nixGC) run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case now, ok := <-ticks:
			if !ok {
				return
			}
			g.pass(ctx, now)
		}
	}
}

// pass collects every Nix cache this node leads and returns the ids of
// the buckets it collected. Failures are logged; the other caches are
// still collected.
func (g *nixGC) pass(ctx context.Context, now time.Time) []string {
	buckets, err := g.store.ListBuckets(ctx)
	if err != nil {
		g.log.Warn("nix cache gc: cannot list buckets", "err", err)
		return nil
	}
	var done []string
	for _, b := range buckets {
		if ctx.Err() != nil {
			return done
		}
		if !g.leads(b.ID) {
			continue
		}
		isCache, err := g.isNixCache(ctx, b.ID)
		if err != nil {
			g.log.Warn("nix cache gc: cannot tell whether a bucket is a nix cache", "bucket", b.ID, "err", err)
			continue
		}
		if !isCache {
			continue
		}
		res, err := g.store.NixCacheGC(ctx, b.ID, g.olderThan, now, false)
		done = append(done, b.ID)
		if err != nil {
			g.log.Warn("nix cache gc failed", "bucket", b.ID, "narinfos_removed", len(res.Narinfos), "nars_removed", len(res.Nars), "err", err)
			continue
		}
		g.log.Info("nix cache gc", "bucket", b.ID, "older_than", g.olderThan.String(),
			"narinfos_removed", len(res.Narinfos), "nars_removed", len(res.Nars), "narinfos_kept", res.Kept,
			"removed", clipKeys(append(append([]string{}, res.Narinfos...), res.Nars...), nixGCLoggedKeys))
	}
	return done
}

// isNixCache reports whether a bucket is a Nix cache: it has a signing
// key or a nix-cache-info object.
func (g *nixGC) isNixCache(ctx context.Context, bucketID string) (bool, error) {
	key, err := g.store.GetNixCacheKey(ctx, bucketID)
	if err != nil {
		return false, fmt.Errorf("read signing key: %w", err)
	}
	if key != "" {
		return true, nil
	}
	_, err = g.store.HeadObject(ctx, bucketID, "nix-cache-info")
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, model.ErrNoSuchObject), errors.Is(err, model.ErrNoSuchBucket):
		return false, nil
	}
	return false, fmt.Errorf("look for nix-cache-info: %w", err)
}

// clipKeys returns at most n keys, the last one saying how many more.
func clipKeys(keys []string, n int) []string {
	if len(keys) <= n {
		return keys
	}
	return append(keys[:n:n], fmt.Sprintf("… %d more", len(keys)-n))
}

// leadsNixGC reports whether this node collects the cache bucketID: it is
// the first alive replica, in the applied layout, of the bucket id's
// partition.
func (n *Node) leadsNixGC(bucketID string) bool {
	p := table.HashPartitionKey([]byte(bucketID)).Partition()
	for _, id := range n.cluster.currentReplicas(p) {
		if n.cluster.alive(id) {
			return id == n.cluster.ID()
		}
	}
	return false
}

// startNixGC starts scheduled Nix cache GC when s3_web.nix_cache_gc_interval
// is set. The returned function waits for the loop to end once ctx is
// done, so no collection outlives Run.
func (n *Node) startNixGC(ctx context.Context) (wait func()) {
	every := n.cfg.S3Web.NixCacheGCInterval.D()
	if every <= 0 {
		return func() {}
	}
	g := &nixGC{store: n.model, olderThan: n.cfg.S3Web.NixCacheGCOlderThan.D(), leads: n.leadsNixGC, log: n.log.With("part", "nixgc")}
	ticker := time.NewTicker(every)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		defer ticker.Stop()
		g.run(ctx, ticker.C)
	}()
	return func() { <-stopped }
}
