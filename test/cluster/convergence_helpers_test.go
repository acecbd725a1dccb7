package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/garage-web/garage-web/cluster"
)

// Helpers of the convergence, layout-change and GC tests (issue 9): what a
// node's replicas hold (GetNodeTableStatus, its block files), where the
// layout says data belongs, and whether a layout change has finished.

// Limits of these tests' waits.
const (
	convergeTimeout = 150 * time.Second // replicas equal after a fault or a change
	blockSize       = 1 << 20           // block_size default: objects below it are one block
	inlineLimit     = 16 << 10          // objects below it are inline (no block)
)

// tableStatus is GET /v2/GetNodeTableStatus?partitions=true.
type tableStatus struct {
	LayoutVersion int   `json:"layoutVersion"`
	ReadVersion   int   `json:"readVersion"`
	WriteVersions []int `json:"writeVersions"`
	SyncRunning   bool  `json:"syncRunning"`
	// LastFullSync: RFC 3339, empty or null.
	LastFullSync *string `json:"lastFullSync"`
	Tables       []struct {
		Name                string `json:"name"`
		Entries             int64  `json:"entries"`
		PartitionsInSync    int    `json:"partitionsInSync"`
		PartitionsOutOfSync int    `json:"partitionsOutOfSync"`
		EntriesSent         int64  `json:"entriesSent"`
		EntriesReceived     int64  `json:"entriesReceived"`
		Partitions          []struct {
			Partition int    `json:"partition"`
			Root      string `json:"root"`
			Entries   int64  `json:"entries"`
		} `json:"partitions"`
	} `json:"tables"`
}

// partRoot is one non-empty partition of one table on one node.
type partRoot struct {
	root    string
	entries int64
}

// roots is table -> partition -> root (non-empty partitions only).
func (s tableStatus) roots() map[string]map[int]partRoot {
	out := map[string]map[int]partRoot{}
	for _, t := range s.Tables {
		m := map[int]partRoot{}
		for _, p := range t.Partitions {
			m[p.Partition] = partRoot{p.Root, p.Entries}
		}
		out[t.Name] = m
	}
	return out
}

// entries is table -> entries on the node.
func (s tableStatus) entries() map[string]int64 {
	out := map[string]int64{}
	for _, t := range s.Tables {
		out[t.Name] = t.Entries
	}
	return out
}

// TableStatus is the node's GetNodeTableStatus with partitions.
func (n *Node) TableStatus(ctx context.Context) (tableStatus, error) {
	var st tableStatus
	body, err := n.AdminGET(ctx, "/v2/GetNodeTableStatus?partitions=true")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("node %s: GetNodeTableStatus: %w: %s", n.Name, err, clip(string(body)))
	}
	if len(st.Tables) == 0 {
		return st, fmt.Errorf("node %s: GetNodeTableStatus lists no table: %s", n.Name, clip(string(body)))
	}
	return st, nil
}

// layoutHistory is GET /v2/GetClusterLayoutHistory.
type layoutHistory struct {
	CurrentVersion int `json:"currentVersion"`
	MinAck         int `json:"minAck"`
	Versions       []struct {
		Version int    `json:"version"`
		Status  string `json:"status"`
	} `json:"versions"`
	UpdateTrackers map[string]struct {
		Ack     int `json:"ack"`
		Sync    int `json:"sync"`
		SyncAck int `json:"syncAck"`
	} `json:"updateTrackers"`
}

// LayoutHistory is the node's GetClusterLayoutHistory.
func (n *Node) LayoutHistory(ctx context.Context) (layoutHistory, error) {
	var h layoutHistory
	body, err := n.AdminGET(ctx, "/v2/GetClusterLayoutHistory")
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return h, fmt.Errorf("node %s: GetClusterLayoutHistory: %w: %s", n.Name, err, clip(string(body)))
	}
	return h, nil
}

// finished tells why the layout change to version v is not over yet ("" when
// it is): every version but the current Historical, every tracker at the
// current version.
func (h layoutHistory) finished(v int) string {
	if h.CurrentVersion < v {
		return fmt.Sprintf("at v%d", h.CurrentVersion)
	}
	for _, lv := range h.Versions {
		if lv.Version != h.CurrentVersion && lv.Status != "Historical" {
			return fmt.Sprintf("v%d is %s", lv.Version, lv.Status)
		}
	}
	for id, tr := range h.UpdateTrackers {
		if tr.Ack != h.CurrentVersion || tr.Sync != h.CurrentVersion || tr.SyncAck != h.CurrentVersion {
			return fmt.Sprintf("tracker of %.8s at ack %d sync %d syncAck %d (current v%d)", id, tr.Ack, tr.Sync, tr.SyncAck, h.CurrentVersion)
		}
	}
	return ""
}

// WaitLayoutFinished waits until every running node of nodes sees the
// change to version v finished.
func (c *Cluster) WaitLayoutFinished(ctx context.Context, nodes []*Node, v int) error {
	return eachNode(nodes, func(n *Node) error {
		if !n.Running() {
			return nil
		}
		return waitFor(ctx, fmt.Sprintf("%s to see the change to layout v%d finished", n.Name, v), func(ctx context.Context) error {
			h, err := n.LayoutHistory(ctx)
			if err != nil {
				return err
			}
			if why := h.finished(v); why != "" {
				return fmt.Errorf("%s", why)
			}
			return nil
		})
	})
}

// applyLayout runs the CLI commands that stage a change on n (each a
// `garage-web` argument list), applies it as the next version and waits
// until every running node has that version. It returns the version.
func (c *Cluster) applyLayout(ctx context.Context, n *Node, stage ...[]string) (int, error) {
	for _, args := range stage {
		if _, err := n.CLI(ctx, args...); err != nil {
			return 0, err
		}
	}
	cur, err := n.LayoutVersion(ctx)
	if err != nil {
		return 0, err
	}
	v := cur + 1
	if _, err := n.CLI(ctx, "layout", "apply", "--version", strconv.Itoa(v)); err != nil {
		return 0, err
	}
	if err := c.WaitLayout(ctx, v); err != nil {
		return 0, err
	}
	return v, nil
}

// assignArgs is the `layout assign` of a storage node with 1G.
func assignArgs(n *Node) []string {
	return []string{"layout", "assign", "-z", n.Zone, "--capacity", "1G", n.ID}
}

// placement is partition -> the node ids the layout gives it.
type placement [cluster.NumPartitions]map[string]bool

// readPlacement reads the applied layout from n's metadata directory (the
// file node/layout.go persists, written atomically) and returns its
// partition assignment. The admin API has no partition -> nodes field yet
// (GetClusterLayout gives only each node's count).
func readPlacement(n *Node) (placement, int, error) {
	var pl placement
	path := filepath.Join(n.Config().MetadataDir, "cluster_layout")
	b, err := os.ReadFile(path)
	if err != nil {
		return pl, 0, fmt.Errorf("node %s: layout file: %w", n.Name, err)
	}
	l := new(cluster.Layout)
	if err := l.UnmarshalBinary(b); err != nil {
		return pl, 0, fmt.Errorf("node %s: layout file %s: %w", n.Name, path, err)
	}
	for p := range cluster.NumPartitions {
		pl[p] = map[string]bool{}
		for _, id := range l.Replicas(uint8(p)) {
			pl[p][id.String()] = true
		}
	}
	return pl, int(l.Version()), nil
}

// blockFiles lists the block files in n's data_dir: hex hash -> path. Temp
// files (.tmp-*) and moved-aside .corrupted files are not blocks.
func blockFiles(n *Node) (map[string]string, error) {
	out := map[string]string{}
	dir := n.Config().DataDir
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := strings.TrimSuffix(d.Name(), ".zst")
		if len(name) != 64 {
			return nil
		}
		if _, err := hex.DecodeString(name); err != nil {
			return nil
		}
		out[name] = path
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("node %s: walking %s: %w", n.Name, dir, err)
	}
	return out, nil
}

// blocksOf is the hex hashes of the blocks an object body is stored in
// (none when inline; uncompressed content hashes, block_size 1 MiB).
func blocksOf(body []byte) []string {
	if len(body) < inlineLimit {
		return nil
	}
	var out []string
	for off := 0; off < len(body); off += blockSize {
		end := min(off+blockSize, len(body))
		sum := sha256.Sum256(body[off:end])
		out = append(out, hex.EncodeToString(sum[:]))
	}
	return out
}

// blockPartition is the partition a block (hex hash) belongs to: the first
// byte of the SHA-256 of its 32 hash bytes, as blockrepl.Partition defines
// it (written out here so these tests do not compile blockrepl).
func blockPartition(h string) int {
	b, _ := hex.DecodeString(h)
	sum := sha256.Sum256(b)
	return int(sum[0])
}

// convergence is what a convergence check compares.
type convergence struct {
	nodes []*Node // every node that may hold something
	// pl, if set, is where data belongs: a node outside pl[p] must hold no
	// entry of partition p and no block of it. Nil: every node holds all.
	pl     *placement
	blocks map[string]bool // blocks that must be on every holder
	// onFail, if set, logs more about a check that did not pass in time.
	onFail func()
}

// holds says whether node n should hold partition p.
func (cv convergence) holds(n *Node, p int) bool {
	return cv.pl == nil || cv.pl[p][n.ID]
}

// check returns nil when, for every table and partition, every holder has
// the same root (an empty partition on all of them counts as equal), no
// other node has entries of it, and every expected block is on each of its
// holders and on no other node. The error summarises what differs.
func (cv convergence) check(ctx context.Context) error {
	sts := make([]tableStatus, len(cv.nodes))
	if err := eachNode(cv.nodes, func(n *Node) error {
		for i, m := range cv.nodes {
			if m == n {
				st, err := n.TableStatus(ctx)
				sts[i] = st
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var diffs []string
	tables := map[string]bool{}
	rs := make([]map[string]map[int]partRoot, len(cv.nodes))
	for i, st := range sts {
		rs[i] = st.roots()
		for name := range rs[i] {
			tables[name] = true
		}
	}
	names := make([]string, 0, len(tables))
	for name := range tables {
		names = append(names, name)
	}
	sort.Strings(names)
	unequal, misplaced := 0, 0
	for _, name := range names {
		for p := range cluster.NumPartitions {
			var want *partRoot
			wantFrom := ""
			for i, n := range cv.nodes {
				got, ok := rs[i][name][p]
				if !cv.holds(n, p) {
					if ok {
						misplaced++
						if misplaced <= 5 {
							diffs = append(diffs, fmt.Sprintf("%s/p%d: %s holds %d entries but is not a replica", name, p, n.Name, got.entries))
						}
					}
					continue
				}
				if want == nil {
					want, wantFrom = &got, n.Name
					continue
				}
				if got != *want {
					unequal++
					if unequal <= 5 {
						diffs = append(diffs, fmt.Sprintf("%s/p%d: %s root %.12s (%d entries) vs %s root %.12s (%d entries)",
							name, p, wantFrom, want.root, want.entries, n.Name, got.root, got.entries))
					}
				}
			}
		}
	}
	missing, extra := 0, 0
	for i, n := range cv.nodes {
		files, err := blockFiles(n)
		if err != nil {
			return err
		}
		_ = i
		for h := range cv.blocks {
			_, ok := files[h]
			switch should := cv.holds(n, blockPartition(h)); {
			case should && !ok:
				missing++
				if missing <= 5 {
					diffs = append(diffs, fmt.Sprintf("block %.12s (p%d) missing on %s", h, blockPartition(h), n.Name))
				}
			case !should && ok:
				extra++
				if extra <= 5 {
					diffs = append(diffs, fmt.Sprintf("block %.12s (p%d) still on %s, not a replica", h, blockPartition(h), n.Name))
				}
			}
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%d partitions with unequal roots, %d with entries on a non-replica, %d blocks missing on a replica, %d on a non-replica: %s",
			unequal, misplaced, missing, extra, strings.Join(diffs, "; "))
	}
	return nil
}

// waitConverged polls cv.check until it passes or d elapses.
func waitConverged(ctx context.Context, t *testing.T, what string, cv convergence, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	if err := pollUntil(ctx, what, cv.check); err != nil {
		for _, n := range cv.nodes {
			if st, err := n.TableStatus(context.Background()); err == nil {
				t.Logf("%s: %s", n.Name, describeStatus(st))
			}
			files, _ := blockFiles(n)
			should, has := 0, 0
			for h := range cv.blocks {
				if cv.holds(n, blockPartition(h)) {
					should++
					if _, ok := files[h]; ok {
						has++
					}
				}
			}
			t.Logf("%s: %d block files on disk; holds %d of the %d test blocks it should", n.Name, len(files), has, should)
		}
		if cv.onFail != nil {
			cv.onFail()
		}
		t.Fatal(err)
	}
	t.Logf("%s: converged after %v (%d nodes, %d blocks checked)", what, time.Since(start).Round(time.Second), len(cv.nodes), len(cv.blocks))
}

// pollUntil is waitFor, but its error gives the last reason seen while ctx
// was still alive (not the request that the deadline cut short).
func pollUntil(ctx context.Context, what string, cond func(context.Context) error) error {
	var last error
	err := waitFor(ctx, what, func(ctx context.Context) error {
		err := cond(ctx)
		if ctx.Err() == nil {
			last = err
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w (last complete check: %v)", what, ctx.Err(), last)
	}
	return nil
}

// describeStatus is one line about a node's tables.
func describeStatus(st tableStatus) string {
	var parts []string
	for _, t := range st.Tables {
		parts = append(parts, fmt.Sprintf("%s=%d(in %d/out %d, sent %d recv %d)", t.Name, t.Entries,
			t.PartitionsInSync, t.PartitionsOutOfSync, t.EntriesSent, t.EntriesReceived))
	}
	last := "none"
	if st.LastFullSync != nil && *st.LastFullSync != "" {
		last = *st.LastFullSync
	}
	return fmt.Sprintf("layout v%d read v%d write %v sync running %v last full sync %s; %s",
		st.LayoutVersion, st.ReadVersion, st.WriteVersions, st.SyncRunning, last, strings.Join(parts, " "))
}

// objectSet is a test's objects: key -> body, with the blocks they use.
type objectSet struct {
	mu   sync.Mutex
	keys []string
	objs map[string][]byte
	at   map[string]time.Time // when each PUT was acknowledged
}

func newObjectSet() *objectSet {
	return &objectSet{objs: map[string][]byte{}, at: map[string]time.Time{}}
}

func (o *objectSet) add(k string, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.objs[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.objs[k] = b
	o.at[k] = time.Now()
}

// ackedAt is when the PUT of the object using block h was acknowledged.
func (o *objectSet) ackedAt(h string) (string, time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, b := range o.objs {
		for _, bh := range blocksOf(b) {
			if bh == h {
				return k, o.at[k], true
			}
		}
	}
	return "", time.Time{}, false
}

// pick is a random acknowledged object (ok false when none yet).
func (o *objectSet) pick(rng *rand.Rand) (string, []byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.keys) == 0 {
		return "", nil, false
	}
	k := o.keys[rng.IntN(len(o.keys))]
	return k, o.objs[k], true
}

func (o *objectSet) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.keys)
}

func (o *objectSet) snapshot() map[string][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string][]byte, len(o.objs))
	for k, v := range o.objs {
		m[k] = v
	}
	return m
}

// blocks is every block the set's objects use.
func (o *objectSet) blocks() map[string]bool {
	out := map[string]bool{}
	for _, b := range o.snapshot() {
		for _, h := range blocksOf(b) {
			out[h] = true
		}
	}
	return out
}

// randomBody is size random bytes.
func randomBody(rng *rand.Rand, size int) []byte {
	b := make([]byte, size)
	for i := 0; i+8 <= len(b); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// putMany PUTs count objects named prefix/NNNNN through the nodes in turn
// with workers in parallel: one in every blockEvery is 64-256 KiB (one
// block), the others 100 B - 8 KiB (inline). Every PUT must succeed.
func putMany(ctx context.Context, c *Cluster, via []*Node, bucket, prefix string, count, blockEvery int, objs *objectSet) error {
	const workers = 8
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rng := rand.New(rand.NewPCG(uint64(i), uint64(len(prefix))))
				size := 100 + rng.IntN(8<<10)
				if blockEvery > 0 && i%blockEvery == 0 {
					size = 64<<10 + rng.IntN(192<<10)
				}
				body := randomBody(rng, size)
				key := fmt.Sprintf("%s/%05d", prefix, i)
				n := via[i%len(via)]
				opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := putObject(opCtx, n.S3(c.Key), bucket, key, body)
				cancel()
				if err != nil {
					errs <- fmt.Errorf("PUT %s via %s: %w", key, n.Name, err)
					return
				}
				objs.add(key, body)
			}
		}()
	}
	var err error
feed:
	for i := 0; i < count; i++ {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// readAll GETs every object of objs through n (in parallel) and returns an
// error naming the first few that failed or differ.
func readAll(ctx context.Context, c *Cluster, n *Node, bucket string, objs map[string][]byte) error {
	type job struct {
		k string
		v []byte
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var bad []string
	nbad := 0
	var wg sync.WaitGroup
	cl := n.S3(c.Key)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				got, err := getObject(opCtx, cl, bucket, j.k)
				cancel()
				var msg string
				switch {
				case err != nil:
					msg = fmt.Sprintf("GET %s: %v", j.k, err)
				case !bytes.Equal(got, j.v):
					msg = fmt.Sprintf("GET %s: %d bytes sha256 %x, want %d bytes sha256 %x", j.k, len(got), sha256.Sum256(got), len(j.v), sha256.Sum256(j.v))
				default:
					continue
				}
				mu.Lock()
				nbad++
				if len(bad) < 5 {
					bad = append(bad, msg)
				}
				mu.Unlock()
			}
		}()
	}
	for k, v := range objs {
		jobs <- job{k, v}
	}
	close(jobs)
	wg.Wait()
	if nbad > 0 {
		return fmt.Errorf("%s: %d of %d objects missing or wrong: %s", n.Name, nbad, len(objs), strings.Join(bad, "; "))
	}
	return nil
}

// createBucket creates bucket through n.
func createBucket(ctx context.Context, c *Cluster, n *Node, bucket string) error {
	_, err := n.S3(c.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("CreateBucket %s via %s: %w", bucket, n.Name, err)
	}
	return nil
}
