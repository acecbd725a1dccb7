package cluster

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// TestReconnectAfterLongCut: a node cut off for longer than memberlist
// gossips to a dead node (60 s with the WAN timings these namespaced
// nodes use) is forgotten by both sides; once the link is back the
// nodes must find each other again by themselves (membership's
// reconnect loop), not only after a restart.
func TestReconnectAfterLongCut(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Netns: true})
	n0, n1, n2 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	const bucket, k = "longcut", "k"
	must(t, createBucket(ctx, c, n0, bucket))

	must(t, c.Net.Cut(n2.Name))
	must(t, waitFor(ctx, "n0 and n1 to see n2 down", func(ctx context.Context) error {
		for _, w := range []*Node{n0, n1} {
			up, err := w.UpPeers(ctx)
			if err != nil {
				return err
			}
			if up[n2.ID] {
				return fmt.Errorf("%s sees n2 up", w.Name)
			}
		}
		return nil
	}))
	v := []byte("written while n2 was cut off " + randHex(8))
	must(t, putObject(ctx, n0.S3(c.Key), bucket, k, v))

	// The fault's length is the input here: past the time memberlist
	// still gossips to a dead node, each side has forgotten the other.
	hold := memberlist.DefaultWANConfig().GossipToTheDeadTime + 10*time.Second
	t.Logf("n2 seen down; holding the cut for %v", hold)
	select {
	case <-time.After(hold):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	must(t, c.Net.Heal(n2.Name))
	healed := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	must(t, c.WaitAllUp(wctx, c.Nodes...))
	t.Logf("every node sees every node up %v after the heal", time.Since(healed).Round(time.Second))

	must(t, waitFor(ctx, "n2 to serve the key written during the cut", func(ctx context.Context) error {
		opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got, err := getObject(opCtx, n2.S3(c.Key), bucket, k)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, v) {
			return fmt.Errorf("n2 answers %q", got)
		}
		return nil
	}))
}
