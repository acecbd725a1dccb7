package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	durPuts        = 200             // PUTs per round
	durConcurrency = 24              // PUTs in flight at once
	durRoundLimit  = 3 * time.Minute // one round's PUT phase
)

// objSpec is what a PUT tried to store.
type objSpec struct {
	size int
	sum  string // sha256 hex
}

// TestDurabilityKill9 fires 200 concurrent PUTs (1 KiB inline objects and
// 200 KiB–2 MiB block objects), SIGKILLs the server once a given number has
// been acknowledged, restarts it on the same dirs and requires:
//   - every acknowledged object (of this and earlier rounds) reads back
//     byte-identical;
//   - ListObjectsV2 lists only objects whose GET returns exactly what some
//     PUT sent (nothing half-written is listed), and lists every acked one.
//
// Rounds kill at different points: early, middle and late.
func TestDurabilityKill9(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "durability")
	const bucket = "durability"
	ctx := context.Background()
	if _, err := n.S3(k).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	attempted := map[string]objSpec{} // every key a PUT was sent for, all rounds
	acked := map[string]bool{}        // keys whose PUT returned 200, all rounds
	killPoints := []int{100, 30, 170}
	if testing.Short() {
		t.Logf("-short: running only the first of %d kill points", len(killPoints))
		killPoints = killPoints[:1]
	}
	for round, killAt := range killPoints {
		ok := t.Run(fmt.Sprintf("round%d-kill-after-%d-acks", round, killAt), func(t *testing.T) {
			specs, ackedNow := putAndKill(t, n, k, bucket, round, killAt)
			for key, s := range specs {
				attempted[key] = s
			}
			for _, key := range ackedNow {
				acked[key] = true
			}
			n.Start(t)
			verifyAfterCrash(t, n, k, bucket, attempted, acked)
		})
		if !ok {
			t.Fatalf("round %d failed; not running later rounds", round)
		}
	}

	// The restarted node still takes writes.
	cl := n.S3(k)
	body := randBytes(999, 300<<10)
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("after/final"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PUT after the last restart: %v", err)
	}
	if got := getAll(t, cl, bucket, "after/final"); !bytes.Equal(got, body) {
		t.Fatalf("GET after the last restart: %d bytes, want %d", len(got), len(body))
	}
}

// putAndKill runs one round of concurrent PUTs and SIGKILLs the node right
// after the killAt-th acknowledgement. It returns what every sent PUT
// carried and which keys were acknowledged.
func putAndKill(t *testing.T, n *Node, k Key, bucket string, round, killAt int) (map[string]objSpec, []string) {
	client := n.S3(k, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	ctx, cancel := context.WithTimeout(context.Background(), durRoundLimit)
	defer cancel()

	rng := mrand.New(mrand.NewPCG(uint64(round), 0x5eed))
	sizes := make([]int, durPuts)
	for i := range sizes {
		if i%3 == 0 {
			sizes[i] = 1 << 10 // inline in metadata
		} else {
			sizes[i] = 200<<10 + rng.IntN(1848<<10) // 200 KiB .. 2 MiB
		}
	}

	var (
		mu          sync.Mutex
		specs       = map[string]objSpec{}
		acked       []string
		preKillErrs []string
		ackCount    atomic.Int32
		inflight    atomic.Int32
		killed      = make(chan struct{})
		killOnce    sync.Once
		killErr     error
		inflightAt  int32
		wg          sync.WaitGroup
		sem         = make(chan struct{}, durConcurrency)
	)
	kill := func() {
		killOnce.Do(func() {
			close(killed) // before the signal: every later error is expected
			inflightAt = inflight.Load()
			killErr = n.Kill9()
		})
	}
	isKilled := func() bool {
		select {
		case <-killed:
			return true
		default:
			return false
		}
	}

	start := time.Now()
	for i := range durPuts {
		key := fmt.Sprintf("r%d/obj-%03d", round, i)
		seed := uint64(round)<<32 | uint64(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if isKilled() {
				return
			}
			body := randBytes(seed, sizes[i])
			sum := sha256.Sum256(body)
			mu.Lock()
			specs[key] = objSpec{size: len(body), sum: hex.EncodeToString(sum[:])}
			mu.Unlock()

			inflight.Add(1)
			_, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket),
				Key:    aws.String(key),
				Body:   bytes.NewReader(body),
			})
			inflight.Add(-1)
			if err == nil {
				mu.Lock()
				acked = append(acked, key)
				mu.Unlock()
				if int(ackCount.Add(1)) == killAt {
					kill()
				}
				return
			}
			if !isKilled() {
				mu.Lock()
				preKillErrs = append(preKillErrs, fmt.Sprintf("%s: %v", key, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	if !isKilled() {
		// Never reached killAt acks: kill anyway so the next Start is clean.
		kill()
		t.Fatalf("only %d of %d PUTs acknowledged (kill point %d never reached) in %v; errors before the kill:\n  %s",
			ackCount.Load(), durPuts, killAt, time.Since(start).Round(time.Millisecond), strings.Join(firstN(preKillErrs, 20), "\n  "))
	}
	if killErr != nil {
		t.Fatalf("kill -9: %v", killErr)
	}
	if len(preKillErrs) > 0 {
		t.Errorf("%d PUTs failed while the server was up:\n  %s", len(preKillErrs), strings.Join(firstN(preKillErrs, 20), "\n  "))
	}
	t.Logf("round %d: %d PUTs sent, %d acknowledged, %d in flight at SIGKILL (after %v)",
		round, len(specs), len(acked), inflightAt, time.Since(start).Round(time.Millisecond))
	if inflightAt == 0 && len(specs) < durPuts {
		t.Logf("note: no PUT was in flight at the moment of the kill")
	}
	return specs, acked
}

// verifyAfterCrash checks acknowledged objects and the listing after a restart.
func verifyAfterCrash(t *testing.T, n *Node, k Key, bucket string, attempted map[string]objSpec, acked map[string]bool) {
	cl := n.S3(k)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	listed := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 after restart: %v", err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if _, dup := listed[key]; dup {
				t.Errorf("ListObjectsV2 lists %s twice", key)
			}
			listed[key] = aws.ToInt64(o.Size)
		}
	}

	var problems []string
	for key := range acked {
		if _, ok := listed[key]; !ok {
			problems = append(problems, "acknowledged but not listed: "+key)
		}
	}
	// GET every listed key and every acked one (acked ⊆ listed if all is well).
	toGet := map[string]bool{}
	for key, size := range listed {
		spec, ok := attempted[key]
		switch {
		case !ok:
			problems = append(problems, "listed but never written: "+key)
			continue
		case size != int64(spec.size):
			problems = append(problems, fmt.Sprintf("listed with size %d, written with %d: %s", size, spec.size, key))
		}
		toGet[key] = true
	}
	for key := range acked {
		toGet[key] = true
	}
	keys := sortedKeys(toGet)

	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range work {
				msg := checkObject(ctx, cl, bucket, key, attempted[key])
				if msg != "" {
					_, isListed := listed[key]
					mu.Lock()
					problems = append(problems, fmt.Sprintf("%s (acked=%v listed=%v): %s", key, acked[key], isListed, msg))
					mu.Unlock()
				}
			}
		}()
	}
	for _, key := range keys {
		work <- key
	}
	close(work)
	wg.Wait()

	nAckedListed := 0
	for key := range acked {
		if _, ok := listed[key]; ok {
			nAckedListed++
		}
	}
	t.Logf("after restart: %d listed, %d acknowledged (%d of them listed), %d GETs checked",
		len(listed), len(acked), nAckedListed, len(keys))
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%d durability problems after kill -9 and restart:\n  %s", len(problems), strings.Join(firstN(problems, 40), "\n  "))
	}
}

// checkObject GETs key and compares it with spec; "" means identical.
func checkObject(ctx context.Context, cl *s3.Client, bucket, key string, spec objSpec) string {
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "GET failed: " + err.Error()
	}
	defer out.Body.Close()
	h := sha256.New()
	nread, err := io.Copy(h, out.Body)
	if err != nil {
		return fmt.Sprintf("GET body failed after %d bytes: %v", nread, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); nread != int64(spec.size) || got != spec.sum {
		return fmt.Sprintf("GET returned %d bytes sha256 %.12s, PUT sent %d bytes sha256 %.12s", nread, got, spec.size, spec.sum)
	}
	return ""
}

func getAll(t *testing.T, cl *s3.Client, bucket, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GET %s body: %v", key, err)
	}
	return b
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}
