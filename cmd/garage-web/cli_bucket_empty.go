package main

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/admin"
)

// emptyBatch is how many objects one EmptyBucket call deletes: small
// enough to answer well within clientTimeout across sites.
const emptyBatch = 200

// emptyBucket deletes every object of bucket b (named ref by the user)
// in batches, printing the running count on stderr so that a large
// bucket shows progress.
func emptyBucket(ctx context.Context, c *cli, cl *admin.Client, b admin.BucketInfo, ref string) error {
	total := 0
	for {
		res, err := cl.EmptyBucket(ctx, b.ID, emptyBatch)
		total += res.Deleted
		if err != nil {
			return fmt.Errorf("emptying bucket %s stopped after %s: %w", ref, plural(total, "object", "objects"), bucketError(err, ref))
		}
		if res.Deleted > 0 || !res.More {
			fmt.Fprintf(c.stderr, "bucket %s: %s deleted\n", ref, plural(total, "object", "objects"))
		}
		if !res.More {
			return nil
		}
	}
}
