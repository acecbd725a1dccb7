package model

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// EmptyBucket deletes up to max of the bucket's objects, in key order, and
// once none is left aborts its multipart uploads. It returns how many
// objects it deleted and whether objects remain after them (call it again
// until more is false). Objects written while it runs may remain: the
// caller deleting the bucket then gets ErrBucketNotEmpty as usual.
func (m *Model) EmptyBucket(ctx context.Context, bucketID string, max int) (deleted int, more bool, err error) {
	if max <= 0 {
		max = 1000
	}
	page, err := m.ListObjects(ctx, ListInput{BucketID: bucketID, MaxKeys: max, Summary: true})
	if err != nil {
		return 0, false, fmt.Errorf("empty bucket: %w", err)
	}
	deleted, err = m.deleteKeys(ctx, bucketID, page.Objects)
	if err != nil {
		return deleted, true, fmt.Errorf("empty bucket: %w", err)
	}
	if page.IsTruncated {
		return deleted, true, nil
	}
	if err := m.AbortAllUploads(ctx, bucketID); err != nil {
		return deleted, false, fmt.Errorf("empty bucket: %w", err)
	}
	return deleted, false, nil
}

// Deleting a bucket while objects are written into it.
//
// DeleteBucket checks that the bucket is empty, removes its names and
// grants, then writes its tombstone. A PUT is not coordinated with it: it
// resolves the bucket (from a cache at most metaCacheTTL old on other
// nodes; the deleting node clears its own), then commits its object
// entry. Whatever the interleaving, a PUT racing a delete therefore ends
// one of these ways:
//
//   - it commits before the emptiness check: the delete answers
//     ErrBucketNotEmpty and the object stays readable (with `bucket delete
//     --force`, the emptying deletes it first if it lands before the last
//     listing, and the bucket is then deleted);
//   - it resolves the bucket after its names are gone: NoSuchBucket;
//   - it resolved the bucket earlier and commits after the check: the PUT
//     is acknowledged and the bucket deleted. DeleteBucket then sweeps the
//     dead bucket's id (SweepDeletedBucket), so an object committed before
//     the sweep lists the bucket does not stay in the store.
//
// What is not covered: a PUT that resolved the bucket before the names
// were removed and commits after the sweep (a long upload, or a PUT on
// another node within metaCacheTTL of the deletion) leaves an object no
// request can reach (its bucket id has no name) whose blocks are never
// released. Closing that needs the PUT to re-read its bucket after
// committing, or a collector of deleted buckets' objects; neither exists.

// SweepDeletedBucket deletes every object and aborts every upload left
// under a bucket id, in batches, and returns how many objects it deleted.
// DeleteBucket calls it after the tombstone; it works on live buckets too.
func (m *Model) SweepDeletedBucket(ctx context.Context, bucketID string) (int, error) {
	total := 0
	for {
		n, more, err := m.EmptyBucket(ctx, bucketID, 1000)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// emptyParallel is how many deletes EmptyBucket has in flight: each is a
// quorum read and write, so a batch takes round trips / emptyParallel.
const emptyParallel = 8

// deleteKeys deletes the listed objects, emptyParallel at a time, and
// returns how many it deleted before the first error.
func (m *Model) deleteKeys(ctx context.Context, bucketID string, objs []ListEntry) (int, error) {
	var (
		mu      sync.Mutex
		deleted int
		first   error
		wg      sync.WaitGroup
	)
	work := make(chan string)
	for range min(emptyParallel, len(objs)) {
		wg.Go(func() {
			for key := range work {
				err := m.DeleteObject(ctx, bucketID, key)
				mu.Lock()
				if err == nil {
					deleted++
				} else if first == nil {
					first = fmt.Errorf("delete %q: %w", key, err)
				}
				mu.Unlock()
			}
		})
	}
	for _, o := range objs {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		work <- o.Key
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return deleted, first
}

// AbortAllUploads aborts every multipart upload in progress in a bucket.
func (m *Model) AbortAllUploads(ctx context.Context, bucketID string) error {
	in := ListUploadsInput{BucketID: bucketID, MaxUploads: 1000}
	for {
		page, err := m.ListUploads(ctx, in)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			err := m.AbortUpload(ctx, bucketID, u.Key, u.Version.UUID)
			if err != nil && !errors.Is(err, ErrNoSuchUpload) {
				return fmt.Errorf("abort upload %s of %q: %w", u.Version.UUID, u.Key, err)
			}
		}
		if !page.IsTruncated {
			return nil
		}
		in.KeyMarker, in.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}
