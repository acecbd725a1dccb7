package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// cacheBound is the documented bound (docs/architecture.md "Caches"): a
// revoked key or a removed grant stops working on every node within this
// long after the change was acknowledged.
const cacheBound = time.Second

// gatewayGET is one GET of a reader loop: when it started, and its S3
// error code ("" for success).
type gatewayGET struct {
	start, end time.Time
	code       string
}

// readLoop GETs bucket/key through n with k until stop is closed, one
// request after the other, so that n's key and bucket caches stay hot
// (and are refreshed ahead of expiry) across the change under test.
func readLoop(ctx context.Context, n *Node, k Key, bucket, key string, stop <-chan struct{}) []gatewayGET {
	c := n.S3(k)
	var out []gatewayGET
	for {
		select {
		case <-stop:
			return out
		case <-ctx.Done():
			return out
		default:
		}
		start := time.Now()
		_, err := getObject(ctx, c, bucket, key)
		out = append(out, gatewayGET{start: start, end: time.Now(), code: s3Code(err)})
	}
}

// TestRevocationReachesAGatewayWithinTheBound: a gateway holds no replica
// of the keys or buckets tables, so no hook clears its caches when a grant
// is removed or a key deleted through a storage node; it must still refuse
// every request that starts more than cacheBound after the change was
// acknowledged, even while a client keeps the cached entries hot.
func TestRevocationReachesAGatewayWithinTheBound(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Gateways: 1})
	gw, a := c.Gateways()[0], c.Nodes[0]
	const bucket = "revoke"
	must(t, putObjectNewBucket(t, c, bucket))
	must(t, putObject(ctx, a.S3(c.Key), bucket, "o", []byte("secret payload")))

	for _, change := range []struct {
		name     string
		want     string // the refusal's S3 code
		revoke   func(reader string) error
		readerNo int
	}{
		{"grant removed", "AccessDenied", func(reader string) error {
			_, err := a.CLI(ctx, "bucket", "deny", "--read", bucket, "--key", reader)
			return err
		}, 1},
		{"key deleted", "InvalidAccessKeyId", func(reader string) error {
			_, err := a.CLI(ctx, "key", "delete", reader, "--yes")
			return err
		}, 2},
	} {
		reader := fmt.Sprintf("reader%d", change.readerNo)
		k, err := a.NewKey(ctx, reader)
		must(t, err)
		_, err = a.CLI(ctx, "bucket", "allow", "--read", bucket, "--key", reader)
		must(t, err)
		if _, err := getObject(ctx, gw.S3(k), bucket, "o"); err != nil {
			t.Fatalf("%s: the reader's GET through the gateway before the change: %v", change.name, err)
		}

		stop := make(chan struct{})
		var wg sync.WaitGroup
		var gets []gatewayGET
		wg.Add(1)
		go func() {
			defer wg.Done()
			gets = readLoop(ctx, gw, k, bucket, "o", stop)
		}()
		// Let the loop run past the entries' half life, so that the
		// change lands while refreshes ahead of expiry are going on.
		<-time.After(cacheBound)
		revoking := time.Now()
		must(t, change.revoke(reader))
		acked := time.Now()
		<-time.After(cacheBound + 300*time.Millisecond)
		close(stop)
		wg.Wait()

		var before, after, refusedBefore, served int
		for _, g := range gets {
			switch {
			case g.start.After(acked.Add(cacheBound)):
				after++
				if g.code != change.want {
					if served++; served <= 3 {
						t.Errorf("%s: a GET through the gateway that started %v after the change was acknowledged answered %q, want %s",
							change.name, g.start.Sub(acked).Round(time.Millisecond), g.code, change.want)
					}
				}
			case g.end.Before(revoking):
				before++
				if g.code != "" {
					refusedBefore++
				}
			}
		}
		if before == 0 || after == 0 {
			t.Fatalf("%s: the reader loop made %d GETs before the change and %d after the bound: nothing was checked", change.name, before, after)
		}
		if served > 0 {
			t.Errorf("%s: %d of the %d GETs started after the bound were not refused", change.name, served, after)
		}
		if refusedBefore > 0 {
			t.Errorf("%s: %d of the %d GETs before the change were refused", change.name, refusedBefore, before)
		}
		// And a new client (fresh connections) after the bound.
		if _, err := getObject(ctx, gw.S3(k), bucket, "o"); s3Code(err) != change.want {
			t.Errorf("%s: a new client's GET after the bound: %v, want %s", change.name, err, change.want)
		}
		t.Logf("%s: %d GETs through the gateway before the change (all served), %d started more than %v after it (all refused with %s)",
			change.name, before, after, cacheBound, change.want)
	}
}
