package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// gcTables are the tables whose entries a deleted object leaves behind
// until garbage collection.
var gcTables = []string{"objects", "blocklists", "blockrefs"}

// TestGCAfterDeletes: 3 nodes, RF 3, gc_delay and block_gc_delay 2 s. 300
// objects (one in five of 64-256 KiB, a block each) are written, then all
// deleted. Within convergeTimeout, on every node the objects, blocklists
// and blockrefs tables are back to the entry counts they had before the
// objects were written (no tombstone left), and no block file remains.
func TestGCAfterDeletes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 4*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Configure: func(cfg *nodeConfig) {
		cfg.GCDelay = "2s"
		cfg.BlockGCDelay = "2s"
		cfg.AntiEntropyInterval = "10s"
	}})
	const bucket = "gc-deletes"
	must(t, createBucket(ctx, c, c.Nodes[0], bucket))
	base := map[*Node]map[string]int64{}
	for _, n := range c.Nodes {
		st, err := n.TableStatus(ctx)
		must(t, err)
		base[n] = st.entries()
	}
	objs := newObjectSet()
	must(t, putMany(ctx, c, c.Nodes, bucket, "gc", 300, 5, objs))
	blocks := objs.blocks()
	waitConverged(ctx, t, "objects on every node before the deletes", convergence{nodes: c.Nodes, blocks: blocks}, convergeTimeout)
	for _, n := range c.Nodes {
		st, err := n.TableStatus(ctx)
		must(t, err)
		t.Logf("%s after the PUTs: %s", n.Name, describeStatus(st))
	}

	// Delete everything, from every node in turn, 8 at a time.
	keys := make(chan string)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := w
			for k := range keys {
				n := c.Nodes[i%len(c.Nodes)]
				i++
				opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := n.S3(c.Key).DeleteObject(opCtx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
				cancel()
				if err != nil {
					select {
					case errs <- fmt.Errorf("DELETE %s via %s: %w", k, n.Name, err):
					default:
					}
				}
			}
		}()
	}
	for k := range objs.snapshot() {
		keys <- k
	}
	close(keys)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	for k := range objs.snapshot() {
		if _, err := getObject(ctx, c.Nodes[0].S3(c.Key), bucket, k); !isNotFound(err) {
			t.Fatalf("GET %s after DELETE: %v (status %d), want 404", k, err, httpStatus(err))
		}
		break
	}
	t.Logf("deleted all %d objects", objs.len())

	gctx, cancel := context.WithTimeout(ctx, convergeTimeout)
	defer cancel()
	start := time.Now()
	err := eachNode(c.Nodes, func(n *Node) error {
		return pollUntil(gctx, n.Name+" to collect every tombstone and block", func(ctx context.Context) error {
			st, err := n.TableStatus(ctx)
			if err != nil {
				return err
			}
			got := st.entries()
			var left []string
			for _, name := range gcTables {
				if got[name] > base[n][name] {
					left = append(left, fmt.Sprintf("%s has %d entries (had %d before the PUTs)", name, got[name], base[n][name]))
				}
			}
			files, err := blockFiles(n)
			if err != nil {
				return err
			}
			if len(files) > 0 {
				left = append(left, fmt.Sprintf("%d block files", len(files)))
			}
			if len(left) > 0 {
				return fmt.Errorf("%s", strings.Join(left, "; "))
			}
			return nil
		})
	})
	if err != nil {
		for _, n := range c.Nodes {
			if st, serr := n.TableStatus(ctx); serr == nil {
				t.Logf("%s: %s", n.Name, describeStatus(st))
			}
		}
		t.Fatal(err)
	}
	t.Logf("every node: %v back to their entry counts before the PUTs and no block file, %v after the last DELETE",
		gcTables, time.Since(start).Round(time.Second))
}
