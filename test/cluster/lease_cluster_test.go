package cluster

// Read leases on real processes (docs/architecture.md, "Reads from the
// local copy under read leases"): a holder answers table reads from its own
// copy with no table.get RPC; a holder cut off from its peers never answers
// a value overwritten meanwhile; a restarted node never answers a value
// overwritten while it was down; and a mixed load with a cut and a kill
// stays linearizable while most reads go to a holder.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// leaseWriteTimeout bounds one write that may stall on a lost holder (about
// 1.5 x read_lease with the 2 s default), with a wide margin for a loaded
// machine. Not a timing assert: the write must only finish.
const leaseWriteTimeout = 60 * time.Second

// headObject HEADs bucket/key.
func headObject(ctx context.Context, c *s3.Client, bucket, key string) error {
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err
}

// deleteObject DELETEs bucket/key.
func deleteObject(ctx context.Context, c *s3.Client, bucket, key string) error {
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err
}

// readRound GETs or HEADs count times (alternating) over keys through s3c,
// checking each GET's body.
func readRound(ctx context.Context, s3c *s3.Client, bucket string, keys []string, want map[string][]byte, count int) error {
	for i := 0; i < count; i++ {
		k := keys[i%len(keys)]
		if i%2 == 1 {
			if err := headObject(ctx, s3c, bucket, k); err != nil {
				return fmt.Errorf("HEAD %s: %w", k, err)
			}
			continue
		}
		got, err := getObject(ctx, s3c, bucket, k)
		if err != nil {
			return fmt.Errorf("GET %s: %w", k, err)
		}
		if !bytes.Equal(got, want[k]) {
			return fmt.Errorf("GET %s: %q, want %q", k, got, want[k])
		}
	}
	return nil
}

// putSmall PUTs count small (inline) objects through n and returns them.
func putSmall(ctx context.Context, t *testing.T, c *Cluster, n *Node, bucket, prefix string, count int) ([]string, map[string][]byte) {
	t.Helper()
	var keys []string
	objs := map[string][]byte{}
	for i := 0; i < count; i++ {
		k := fmt.Sprintf("%s%02d", prefix, i)
		v := []byte(fmt.Sprintf("value of %s: %s", k, randHex(8)))
		must(t, putObject(ctx, n.S3(c.Key), bucket, k, v))
		keys = append(keys, k)
		objs[k] = v
	}
	return keys, objs
}

// TestLeaseLocalReads: 3 nodes, default read_lease. Once n0 reads every
// partition locally, 50 GETs and HEADs through n0 send no table.get RPC and
// count as local table reads.
func TestLeaseLocalReads(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3})
	n0 := c.Nodes[0]
	const bucket = "leases"
	must(t, createBucket(ctx, c, n0, bucket))
	keys, objs := putSmall(ctx, t, c, n0, bucket, "obj", 10)
	must(t, waitLeasePartitions(ctx, n0, allPartitions))

	s3c := n0.S3(c.Key)
	// One round first: a key marked by a write not yet known to be on a
	// quorum (the bucket, the key, written through the CLI and other nodes'
	// work) is read at quorum once, which settles it (design point 4).
	warm0, err := n0.LeaseCounters(ctx)
	must(t, err)
	must(t, readRound(ctx, s3c, bucket, keys, objs, 2*len(keys)))
	before, err := n0.LeaseCounters(ctx)
	must(t, err)
	t.Logf("n0 after the warm-up round (%d reads): %s (table.get RPCs during it: %v)",
		2*len(keys), before, before.tableGetRPCs-warm0.tableGetRPCs)

	must(t, readRound(ctx, s3c, bucket, keys, objs, 50))
	after, err := n0.LeaseCounters(ctx)
	must(t, err)
	t.Logf("n0 after 50 GET/HEAD: %s", after)
	if !after.hasReads {
		t.Fatalf("n0 has no %s series", metricTableReads)
	}
	if d := after.tableGetRPCs - before.tableGetRPCs; d != 0 {
		t.Errorf("n0 sent %v table.get RPCs during 50 GET/HEAD under leases on every partition, want 0", d)
	}
	if after.local <= before.local {
		t.Errorf("%s{path=\"local\"} at n0 did not grow over 50 GET/HEAD: %v -> %v", metricTableReads, before.local, after.local)
	}
	t.Logf("50 GET/HEAD via n0: local table reads +%v, quorum +%v, table.get RPCs +%v",
		after.local-before.local, after.quorum-before.quorum, after.tableGetRPCs-before.tableGetRPCs)
}

// TestLeaseOffReadsQuorum: read_lease = "0s" turns leases off: every read
// goes to a quorum (table.get RPCs) and none is local.
func TestLeaseOffReadsQuorum(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Configure: withReadLease("0s")})
	n0 := c.Nodes[0]
	const bucket = "noleases"
	must(t, createBucket(ctx, c, n0, bucket))
	keys, objs := putSmall(ctx, t, c, n0, bucket, "obj", 10)
	before, err := n0.LeaseCounters(ctx)
	must(t, err)
	must(t, readRound(ctx, n0.S3(c.Key), bucket, keys, objs, 50))
	after, err := n0.LeaseCounters(ctx)
	must(t, err)
	t.Logf("n0 (read_lease 0s) before: %s; after 50 GET/HEAD: %s", before, after)
	if after.partitions != 0 {
		t.Errorf("%s = %v with read_lease 0s, want 0 (or absent)", metricLeaseParts, after.partitions)
	}
	if after.local != 0 {
		t.Errorf("%s{path=\"local\"} = %v with read_lease 0s, want 0", metricTableReads, after.local)
	}
	if d := after.tableGetRPCs - before.tableGetRPCs; d < 50 {
		t.Errorf("n0 sent %v table.get RPCs over 50 GET/HEAD without leases, want at least one per request", d)
	}
	// Without leases the reads-by-path counter is not registered (it
	// belongs to the lease machinery); where it is, it must count quorum
	// reads only.
	if after.hasReads && after.quorum <= before.quorum {
		t.Errorf("%s{path=\"quorum\"} at n0 did not grow over 50 GET/HEAD with read_lease 0s: %v -> %v",
			metricTableReads, before.quorum, after.quorum)
	}
}

// TestLeaseNoStaleReadFromCutHolder: n2 holds leases on every partition
// and reads key k locally; its link is cut; a PUT (then, after a heal, a
// DELETE) of k through n0 succeeds; a client on n2's own host (it still
// reaches n2) must not get k's previous value from n2. After each heal n2
// returns the new state.
func TestLeaseNoStaleReadFromCutHolder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Netns: true})
	n0, n2 := c.Nodes[0], c.Nodes[2]
	const bucket, k = "cutholder", "k"
	must(t, createBucket(ctx, c, n0, bucket))
	old := []byte("old value " + randHex(8))
	must(t, putObject(ctx, n0.S3(c.Key), bucket, k, old))
	must(t, waitLeasePartitions(ctx, n2, allPartitions))
	at2 := c.LocalS3(n2)

	// n2 answers k from its own copy before the cut (else this test would
	// not be about a holder).
	must(t, waitFor(ctx, "n2 to read k locally", func(ctx context.Context) error {
		before, err := n2.LeaseCounters(ctx)
		if err != nil {
			return err
		}
		got, err := getObject(ctx, at2, bucket, k)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, old) {
			return fmt.Errorf("GET k via n2: %q, want %q", got, old)
		}
		after, err := n2.LeaseCounters(ctx)
		if err != nil {
			return err
		}
		if after.local <= before.local {
			return fmt.Errorf("read was not local (%s)", after)
		}
		return nil
	}))
	t.Logf("n2 holds leases on every partition and reads k locally")

	// staleCheck reads k through n2 a few times while it is cut off: an
	// error (no quorum) or want is fine, prev is a stale read.
	staleCheck := func(what string, prev []byte, wantGone bool, want []byte) {
		t.Helper()
		for i := 0; i < 3; i++ {
			opCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
			got, err := getObject(opCtx, at2, bucket, k)
			cancel()
			switch {
			case err != nil && wantGone && isNotFound(err):
				t.Logf("%s: GET k via cut-off n2 #%d: 404 (the new state)", what, i)
			case err != nil:
				t.Logf("%s: GET k via cut-off n2 #%d: error (fine): status %d %s: %v", what, i, httpStatus(err), s3Code(err), err)
			case bytes.Equal(got, prev):
				t.Fatalf("%s: GET k via cut-off n2 #%d returned the previous value %q: a stale read", what, i, got)
			case !wantGone && bytes.Equal(got, want):
				t.Logf("%s: GET k via cut-off n2 #%d: the new value", what, i)
			default:
				t.Fatalf("%s: GET k via cut-off n2 #%d returned %q, neither the previous nor the new value", what, i, got)
			}
		}
	}
	// healAndSee heals n2 and waits until it answers the new state, then
	// until it reads every partition locally again, and checks once more.
	healAndSee := func(what string, check func(context.Context) error) {
		t.Helper()
		healed := time.Now()
		must(t, c.Net.Heal(n2.Name))
		must(t, c.WaitAllUp(ctx, c.Nodes...))
		up := time.Since(healed)
		must(t, waitFor(ctx, what+" via n2 after heal", check))
		answered := time.Since(healed)
		must(t, waitLeasePartitions(ctx, n2, allPartitions))
		leased := time.Since(healed)
		must(t, check(ctx))
		t.Logf("%s: healed; n2 answers the new state, before and after its leases are back (after the heal: all up %v, new state %v, leases on every partition %v)",
			what, up.Round(time.Millisecond), answered.Round(time.Millisecond), leased.Round(time.Millisecond))
	}

	// PUT.
	newV := []byte("new value " + randHex(8))
	must(t, c.Net.Cut(n2.Name))
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, leaseWriteTimeout)
	err := putObject(wctx, n0.S3(c.Key), bucket, k, newV)
	cancel()
	if err != nil {
		t.Fatalf("PUT k via n0 with holder n2 cut off: %v", err)
	}
	t.Logf("PUT k via n0 with n2 cut off returned after %v", time.Since(start).Round(time.Millisecond))
	staleCheck("after PUT", old, false, newV)
	healAndSee("PUT", func(ctx context.Context) error {
		opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got, err := getObject(opCtx, at2, bucket, k)
		if err != nil {
			return err
		}
		if bytes.Equal(got, old) {
			t.Fatalf("GET k via n2 after heal returned the value overwritten by an acknowledged PUT: %q", got)
		}
		if !bytes.Equal(got, newV) {
			return fmt.Errorf("GET k via n2: %q, want %q", got, newV)
		}
		return nil
	})

	// DELETE.
	must(t, c.Net.Cut(n2.Name))
	start = time.Now()
	wctx, cancel = context.WithTimeout(ctx, leaseWriteTimeout)
	err = deleteObject(wctx, n0.S3(c.Key), bucket, k)
	cancel()
	if err != nil {
		t.Fatalf("DELETE k via n0 with holder n2 cut off: %v", err)
	}
	t.Logf("DELETE k via n0 with n2 cut off returned after %v", time.Since(start).Round(time.Millisecond))
	staleCheck("after DELETE", newV, true, nil)
	healAndSee("DELETE", func(ctx context.Context) error {
		opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got, err := getObject(opCtx, at2, bucket, k)
		switch {
		case isNotFound(err):
			return nil
		case err != nil:
			return err
		}
		if bytes.Equal(got, newV) {
			t.Fatalf("GET k via n2 after heal returned the value removed by an acknowledged DELETE: %q", got)
		}
		return fmt.Errorf("GET k via n2 after DELETE: %q, want 404", got)
	})
}

// TestLeaseRestartCatchUp: n2 holds leases and has read every key; it is
// killed (SIGKILL); keys are overwritten or deleted through n0; n2 restarts
// and is read at once, round after round, until it reads every partition
// locally again and one more round: every answer is the new state, never
// the one from before the kill. The first read of each key counts most (a
// quorum read repairs n2's copy of it), so keys are first read one by one. RPC links carry 10 ms each way, so the
// catch-up of 256 partitions takes a while and reads land before it ends.
func TestLeaseRestartCatchUp(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Latency: 10 * time.Millisecond})
	n0, n2 := c.Nodes[0], c.Nodes[2]
	const bucket = "restart"
	must(t, createBucket(ctx, c, n0, bucket))
	keys, old := putSmall(ctx, t, c, n0, bucket, "key", 48)
	must(t, waitLeasePartitions(ctx, n2, allPartitions))
	must(t, readRound(ctx, n2.S3(c.Key), bucket, keys, old, 2*len(keys)))

	must(t, n2.Kill())
	want := map[string][]byte{} // nil: deleted
	start := time.Now()
	for i, k := range keys {
		wctx, cancel := context.WithTimeout(ctx, leaseWriteTimeout)
		var err error
		if i%4 == 3 {
			err = deleteObject(wctx, n0.S3(c.Key), bucket, k)
			want[k] = nil
		} else {
			v := []byte(fmt.Sprintf("new %s %s", k, randHex(8)))
			err = putObject(wctx, n0.S3(c.Key), bucket, k, v)
			want[k] = v
		}
		cancel()
		if err != nil {
			t.Fatalf("write %s via n0 with n2 killed: %v", k, err)
		}
	}
	t.Logf("%d keys overwritten or deleted via n0 with n2 killed in %v", len(keys), time.Since(start).Round(time.Millisecond))

	must(t, n2.Start(ctx))
	s3c := n2.S3(c.Key)
	type tally struct{ ok, failed, rounds int }
	var firstLeased, firstUnleased int
	var beforeLeases, underLeases tally
	firstErr := ""
	// check judges one answer of n2 for k: true for the new state, false
	// for an error (no answer yet); anything else fails the test.
	check := func(k string, got []byte, err error, partitions float64) bool {
		t.Helper()
		switch {
		case err == nil && bytes.Equal(got, old[k]):
			t.Fatalf("GET %s via restarted n2 (reading %v partitions locally) returned its value from before the kill %q", k, partitions, got)
		case err == nil && want[k] == nil:
			t.Fatalf("GET %s via restarted n2 (%v partitions local): %q, want 404 (deleted while n2 was down)", k, partitions, got)
		case err == nil && !bytes.Equal(got, want[k]):
			t.Fatalf("GET %s via restarted n2 (%v partitions local): %q, want %q", k, partitions, got, want[k])
		case err == nil:
			return true
		case isNotFound(err) && want[k] == nil:
			return true
		case isNotFound(err):
			t.Fatalf("GET %s via restarted n2 (%v partitions local): 404, want %q", k, partitions, want[k])
		}
		if firstErr == "" {
			firstErr = fmt.Sprintf("%s: status %d %s: %v", k, httpStatus(err), s3Code(err), err)
		}
		return false
	}
	get := func(k string) ([]byte, error) {
		opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return getObject(opCtx, s3c, bucket, k)
	}
	partitions := func() float64 {
		lc, err := n2.LeaseCounters(ctx)
		if err != nil {
			return -1
		}
		return lc.partitions
	}
	// First reads, key by key: a quorum read repairs n2's copy of the key
	// it reads, so only the first answer for each key shows whether n2
	// answered from a copy it had not caught up. Half the keys at once
	// after the restart; the other half once n2 reads some partition
	// locally again (it holds grants then, and has caught up that
	// partition, maybe not the others).
	for i, k := range keys {
		if i == len(keys)/2 {
			must(t, waitLeasePartitions(ctx, n2, 1))
			t.Logf("restarted n2 reads %v partitions locally after the first %d keys", partitions(), i)
		}
		if err := waitFor(ctx, "a first answer for "+k+" via restarted n2", func(context.Context) error {
			p := partitions()
			got, err := get(k)
			if !check(k, got, err, p) {
				return err
			}
			if p > 0 {
				firstLeased++
			} else {
				firstUnleased++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Then rounds until n2 reads every partition locally, and one round
	// under those leases.
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			t.Fatalf("n2 did not get its leases back and answer a full round: %v (before leases: %+v)", err, beforeLeases)
		}
		p := partitions()
		leased := p >= allPartitions
		tl := &beforeLeases
		if leased {
			tl = &underLeases
		}
		tl.rounds++
		roundOK := true
		for _, k := range keys {
			got, err := get(k)
			if check(k, got, err, p) {
				tl.ok++
			} else {
				tl.failed++
				roundOK = false
			}
		}
		done = leased && roundOK
	}
	after, err := n2.LeaseCounters(ctx)
	must(t, err)
	t.Logf("restarted n2: first answers for %d keys right (%d while reading some partitions locally, %d with none); then before its leases were back: %d rounds, %d right answers, %d failed reads (first error: %s); with leases on every partition: %d rounds, %d right answers; n2 now: %s",
		len(keys), firstLeased, firstUnleased, beforeLeases.rounds, beforeLeases.ok, beforeLeases.failed, firstErr, underLeases.rounds, underLeases.ok, after)
}

// TestLeaseLinearizableCutAndKill: 6 clients PUT and GET 8 keys (one write
// in ten), most GETs
// through n2 (a client on n2's own host, which reaches it even while it is
// cut off), writes through n0 and n1; n2 is cut off and healed, then n1 is
// killed and restarted. Porcupine must find the history linearizable, and
// n2 must have answered reads from its own copy during the run.
func TestLeaseLinearizableCutAndKill(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Netns: true})
	n0, n1, n2 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	const bucket = "leaselinear"
	must(t, createBucket(ctx, c, n0, bucket))
	must(t, waitLeasePartitions(ctx, n2, allPartitions))
	// Few writes over more keys than TestLinearizableUnderKills: a write
	// coordinated elsewhere marks its key at n2, which then reads it at
	// quorum once (design point 4); with frequent writes n2 would read
	// almost nothing from its own copy.
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}
	writers := []*s3.Client{n0.S3(c.Key), n1.S3(c.Key)}
	readers := []*s3.Client{n0.S3(c.Key), n1.S3(c.Key), c.LocalS3(n2)}
	var writerDown [2]atomic.Bool

	h := newHistory()
	// stopped ends the load (once) before the test returns or fails.
	stopped := h.load(ctx, t, 6, func(cl, i int, rng *rand.Rand) {
		key := keys[rng.IntN(len(keys))]
		if rng.IntN(10) == 0 {
			w := rng.IntN(2)
			if writerDown[w].Load() {
				w = 1 - w
			}
			registerOp(ctx, h, writers[w], bucket, key, cl, i, true)
			return
		}
		r := 2 // n2, the holder, for three reads in four
		if rng.IntN(4) == 0 {
			r = rng.IntN(2)
			if writerDown[r].Load() {
				r = 1 - r
			}
		}
		registerOp(ctx, h, readers[r], bucket, key, cl, i, false)
	})

	h.waitOps(ctx, t, 80, "load before faults")
	c2, err := n2.LeaseCounters(ctx)
	must(t, err)

	start := h.now()
	must(t, c.Net.Cut(n2.Name))
	h.waitOps(ctx, t, 60, "load with n2 cut off")
	must(t, c.Net.Heal(n2.Name))
	must(t, c.WaitAllUp(ctx, c.Nodes...))
	must(t, waitLeasePartitions(ctx, n2, allPartitions))
	h.fault("cut n2 off and heal", start, h.now())
	h.waitOps(ctx, t, 80, "load after healing n2")

	start = h.now()
	writerDown[1].Store(true)
	must(t, n1.Kill())
	h.waitOps(ctx, t, 60, "load with n1 down")
	must(t, n1.Start(ctx))
	must(t, c.WaitAllUp(ctx, c.Nodes...))
	writerDown[1].Store(false)
	h.fault("kill -9 and restart n1", start, h.now())
	h.waitOps(ctx, t, 80, "load after restarting n1")
	stopped()

	c2after, err := n2.LeaseCounters(ctx)
	must(t, err)
	t.Logf("n2 during the run: local reads +%v, quorum reads +%v", c2after.local-c2.local, c2after.quorum-c2.quorum)
	if c2after.local <= c2.local {
		t.Errorf("n2 answered no read from its own copy during the run (%s -> %s): the run did not exercise leases", c2, c2after)
	}
	requireLinearizable(t, h, 2*time.Minute)
}
