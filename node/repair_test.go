package node

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/storage"
)

// waitRepair polls the repair status until the repair of kind is no
// longer running, with a deadline.
func waitRepair(t *testing.T, b *backend, kind string) admin.RepairOperation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := b.RepairStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range st.Operations {
			if op.RepairType == kind && op.State != admin.RepairRunning {
				return op
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("repair %s still running after 30s", kind)
	return admin.RepairOperation{}
}

func TestRepairBlocksFixesDriftedCountsAndScrubChecksEveryBlock(t *testing.T) {
	n, c := testNode(t)
	ctx, cancel := context.WithCancel(context.Background())
	go n.repair.run(ctx)
	t.Cleanup(func() { cancel(); n.repair.wait() })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bk-repair")}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 2<<20) // two different blocks
	for i := range data {
		data[i] = byte(i % 251)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bk-repair"), Key: aws.String("o"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	// The block references are written by the model's queue.
	modelDone := make(chan struct{})
	go func() { defer close(modelDone); n.model.Run(ctx, GCDelay) }()
	t.Cleanup(func() { cancel(); <-modelDone })
	var counted []storage.Hash
	for deadline := time.Now().Add(30 * time.Second); len(counted) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d counted blocks 30s after a PUT of two", len(counted))
		}
		counted = counted[:0]
		if err := n.refs.Walk(ctx, func(h storage.Hash) error { counted = append(counted, h); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// A count that drifted.
	info, _ := n.refs.Info(counted[0])
	if ok, err := n.refs.SetCountIf(counted[0], info.Count, info.Count+5, time.Now()); !ok || err != nil {
		t.Fatal("could not make a count drift", err)
	}
	b := &backend{n: n}
	syncer := n.tableRepair
	n.tableRepair = nil
	if _, err := b.LaunchRepair(ctx, admin.RepairTables); !errors.Is(err, admin.ErrNotImplemented) {
		t.Fatalf("table repair without a syncer: %v", err)
	}
	n.tableRepair = syncer
	if _, err := b.LaunchRepair(ctx, admin.RepairBlocks); err != nil {
		t.Fatal(err)
	}
	op := waitRepair(t, b, admin.RepairBlocks)
	if op.State != admin.RepairDone || op.FinishedAt == nil {
		t.Fatalf("blocks repair: %+v", op)
	}
	if got, _ := n.refs.Info(counted[0]); got.Count != info.Count {
		t.Fatalf("count after repair %d, want %d (%s)", got.Count, info.Count, op.Result)
	}
	if _, err := b.LaunchRepair(ctx, admin.RepairScrub); err != nil {
		t.Fatal(err)
	}
	op = waitRepair(t, b, admin.RepairScrub)
	st, err := b.RepairStatus(ctx)
	if err != nil || op.State != admin.RepairDone || st.Blocks.ScrubChecked < int64(len(counted)) || st.Blocks.LastScrub == nil {
		t.Fatalf("scrub: %+v, status %+v, %v", op, st.Blocks, err)
	}
	mfs, err := n.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range mfs {
		found[mf.GetName()] = true
	}
	for _, name := range []string{"garageweb_block_resync_queue_length", "garageweb_scrub_checked_total", "garageweb_scrub_repaired_total", "garageweb_scrub_last_timestamp_seconds", "garageweb_block_gc_deleted_total"} {
		if !found[name] {
			t.Errorf("metric %s not exported", name)
		}
	}
}
