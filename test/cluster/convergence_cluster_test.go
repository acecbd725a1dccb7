package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// TestConvergeAfterNodeDown: 3 nodes, RF 3. With one node killed, 2,000
// objects are written (one in 20 of 64-256 KiB, so about 100 blocks). The
// node comes back: within convergeTimeout its Merkle roots equal the others'
// for every table and partition and every block of those objects is on its
// disk, and every object reads back byte-exact through every node.
// anti_entropy_interval keeps its default (10 min): what brings the node up
// to date is the sync started when a node comes back, not the periodic one.
func TestConvergeAfterNodeDown(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 4*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3})
	n0, n1, n2 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	const bucket = "converge"
	must(t, createBucket(ctx, c, n0, bucket))
	must(t, n2.Kill())
	t.Logf("kill -9 %s", n2.Name)

	objs := newObjectSet()
	start := time.Now()
	must(t, putMany(ctx, c, []*Node{n0, n1}, bucket, "down", 2000, 20, objs))
	t.Logf("%d objects (%d blocks) written through n0/n1 in %v with %s down",
		objs.len(), len(objs.blocks()), time.Since(start).Round(time.Millisecond), n2.Name)

	must(t, n2.Start(ctx))
	must(t, c.WaitAllUp(ctx, c.Nodes...))
	t.Logf("%s restarted; every node sees every node up", n2.Name)
	waitConverged(ctx, t, n2.Name+" caught up", convergence{nodes: c.Nodes, blocks: objs.blocks()}, convergeTimeout)
	all := objs.snapshot()
	for _, n := range c.Nodes {
		must(t, readAll(ctx, c, n, bucket, all))
		t.Logf("%s: all %d objects read back byte-exact", n.Name, len(all))
	}
}

// TestScrubRepairsCorruptBlock: 3 nodes, RF 3, 24 one-block objects on
// every node. Six block files on n1 get a byte flipped in place. While
// `repair scrub --yes` runs on n1, clients GET the objects of three of them
// (and all uncorrupted ones) through n1 in a loop: every answer must be the
// right bytes. The other three corrupted blocks are read by nobody but the
// scrub, so only the scrub can repair them. Afterwards every one of the six
// files is back under its name and hashes to it again.
func TestScrubRepairsCorruptBlock(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 4*time.Minute)
	zero := 0
	c := startCluster(t, ClusterOptions{Nodes: 3, Configure: func(cfg *nodeConfig) {
		cfg.ResyncTranquility = &zero
	}})
	n0, n1 := c.Nodes[0], c.Nodes[1]
	const bucket = "scrub"
	must(t, createBucket(ctx, c, n0, bucket))
	objs := newObjectSet()
	must(t, putMany(ctx, c, []*Node{n0}, bucket, "blk", 24, 1, objs))
	all := objs.snapshot()
	// Every node has every block before the corruption (the third replica
	// of a quorum write may come a little later).
	waitConverged(ctx, t, "blocks on every node", convergence{nodes: c.Nodes, blocks: objs.blocks()}, convergeTimeout)

	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	files, err := blockFiles(n1)
	must(t, err)
	var readCorrupt, scrubOnly []string // block hashes
	read := map[string][]byte{}         // objects the clients GET
	for i, k := range keys {
		h := blocksOf(all[k])[0]
		switch {
		case i < 3:
			readCorrupt = append(readCorrupt, h)
			read[k] = all[k]
		case i < 6:
			scrubOnly = append(scrubOnly, h)
			continue
		default:
			read[k] = all[k]
		}
	}
	corrupted := append(append([]string(nil), readCorrupt...), scrubOnly...)
	for _, h := range corrupted {
		must(t, flipByte(files[h]))
	}
	t.Logf("flipped a byte in %d block files on %s (%d read by clients, %d by the scrub only)",
		len(corrupted), n1.Name, len(readCorrupt), len(scrubOnly))

	var gets, wrong atomic.Int64
	var firstBad atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := n1.S3(c.Key)
			for {
				for k, want := range read {
					select {
					case <-stop:
						return
					default:
					}
					opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
					got, err := getObject(opCtx, cl, bucket, k)
					cancel()
					gets.Add(1)
					if err != nil || sha256.Sum256(got) != sha256.Sum256(want) {
						wrong.Add(1)
						firstBad.CompareAndSwap(nil, fmt.Sprintf("GET %s via %s: %d bytes, err %v", k, n1.Name, len(got), err))
					}
				}
			}
		}()
	}
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()

	out, err := n1.CLI(ctx, "repair", "scrub", "--yes")
	must(t, err)
	t.Logf("repair scrub --yes on %s: %s", n1.Name, strings.TrimSpace(out))
	rctx, cancel := context.WithTimeout(ctx, convergeTimeout)
	defer cancel()
	err = pollUntil(rctx, fmt.Sprintf("the %d corrupted blocks on %s repaired", len(corrupted), n1.Name), func(ctx context.Context) error {
		var bad []string
		for _, h := range corrupted {
			if err := blockIntact(n1, h); err != nil {
				bad = append(bad, err.Error())
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%d not yet: %s", len(bad), strings.Join(bad, "; "))
		}
		return nil
	})
	if st, serr := n1.CLI(ctx, "repair", "status", "--json"); serr == nil {
		t.Logf("repair status --json on %s: %s", n1.Name, clip(strings.TrimSpace(st)))
	} else {
		t.Logf("repair status --json on %s: %v", n1.Name, serr)
	}
	must(t, err)
	// A few more rounds of GETs after the repair, then stop.
	base := gets.Load()
	must(t, waitFor(ctx, "GETs after the repair", func(context.Context) error {
		if gets.Load() < base+int64(2*len(read)) {
			return fmt.Errorf("%d GETs", gets.Load()-base)
		}
		return nil
	}))
	stopLoad()
	if n := wrong.Load(); n > 0 {
		t.Fatalf("%d of %d GETs through %s failed or returned wrong bytes during the scrub; first: %v", n, gets.Load(), n1.Name, firstBad.Load())
	}
	t.Logf("%d GETs through %s during and after the scrub: all right bytes; all %d corrupted blocks repaired", gets.Load(), n1.Name, len(corrupted))
}

// flipByte inverts one byte in the middle of the file, in place.
func flipByte(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("corrupt %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("corrupt %s: %w", path, err)
	}
	off := st.Size() / 2
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		return fmt.Errorf("corrupt %s: %w", path, err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		return fmt.Errorf("corrupt %s: %w", path, err)
	}
	return f.Sync()
}

// blockIntact checks that block h (hex) is stored on n under its name and
// that its content (decompressed if .zst) hashes to that name.
func blockIntact(n *Node, h string) error {
	files, err := blockFiles(n)
	if err != nil {
		return err
	}
	path, ok := files[h]
	if !ok {
		return fmt.Errorf("%.12s: no file", h)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%.12s: %w", h, err)
	}
	if filepath.Ext(path) == ".zst" {
		dec, err := zstd.NewReader(nil)
		if err != nil {
			return err
		}
		defer dec.Close()
		if data, err = dec.DecodeAll(data, nil); err != nil {
			return fmt.Errorf("%.12s: decompress: %w", h, err)
		}
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != h {
		return fmt.Errorf("%.12s: content hashes to %.12x", h, sum)
	}
	return nil
}
