package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/garage-web/garage-web/admin"
)

// repairWhat says what each repair does, for the confirmation message
// and the help.
var repairWhat = map[string]string{
	admin.RepairBlocks: "recount every block's references from the blockrefs table on this node, then check every block: fetch the missing ones from other holders and hand over those of partitions this node no longer holds",
	admin.RepairTables: "compare every table partition of this node with its other replicas and exchange what differs",
	admin.RepairScrub:  "re-read every block on this node's disk at background_rate, check its hash, and replace corrupted ones by a copy from another holder",
}

// repairPoll is how often `repair --wait` asks for progress.
const repairPoll = time.Second

// setupRepair returns the setup of `repair KIND`.
func setupRepair(kind string) func(fs *flag.FlagSet) runFunc {
	return func(fs *flag.FlagSet) runFunc {
		yes := fs.Bool("yes", false, "start the repair (without it, say what it would do)")
		wait := fs.Bool("wait", false, "wait until the repair ends, showing its progress on stderr")
		return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
			if !*yes {
				return &usageError{
					msg:  fmt.Sprintf("repair %s will %s. It runs in the background and competes with client requests only within resync_tranquility and background_rate. Add --yes to start it", kind, repairWhat[kind]),
					help: "garage-web help repair " + kind,
				}
			}
			op, err := cl.LaunchRepair(ctx, kind)
			if err != nil {
				return err
			}
			if *wait {
				if op, err = waitRepair(ctx, c, cl, kind); err != nil {
					return err
				}
				if op.State == admin.RepairFailed {
					return fmt.Errorf("repair %s failed: %s", kind, op.Error)
				}
			}
			return c.show(op, func(w io.Writer) {
				if op.State == admin.RepairRunning {
					fmt.Fprintf(w, "Repair %s started; follow it with 'garage-web repair status'.\n", kind)
					return
				}
				fmt.Fprintf(w, "Repair %s %s: %s\n", kind, op.State, orDash(op.Result))
			})
		})
	}
}

// waitRepair polls the node until the repair of kind no longer runs.
func waitRepair(ctx context.Context, c *cli, cl *admin.Client, kind string) (admin.RepairOperation, error) {
	t := time.NewTicker(repairPoll)
	defer t.Stop()
	last := ""
	for {
		st, err := cl.RepairStatus(ctx)
		if err != nil {
			return admin.RepairOperation{}, err
		}
		for _, op := range st.Operations {
			if op.RepairType != kind {
				continue
			}
			if op.State != admin.RepairRunning {
				return op, nil
			}
			if line := progressText(op); line != last {
				fmt.Fprintf(c.stderr, "repair %s: %s\n", kind, line)
				last = line
			}
		}
		select {
		case <-ctx.Done():
			return admin.RepairOperation{}, ctx.Err()
		case <-t.C:
		}
	}
}

// progressText is "phase: done/total" of a running repair.
func progressText(op admin.RepairOperation) string {
	p := orDash(op.Phase)
	switch {
	case op.Total > 0:
		return fmt.Sprintf("%s %d/%d (%d%%)", p, op.Done, op.Total, min(100, op.Done*100/op.Total))
	case op.Done > 0:
		return fmt.Sprintf("%s %d", p, op.Done)
	}
	return p
}

func setupRepairStatus(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		st, err := cl.RepairStatus(ctx)
		if err != nil {
			return err
		}
		return c.show(st, func(w io.Writer) { writeRepairStatus(w, st) })
	})
}

func writeRepairStatus(w io.Writer, st admin.RepairStatus) {
	tw := newTable(w, "REPAIR", "STATE", "PROGRESS", "STARTED", "FINISHED", "RESULT")
	for _, op := range st.Operations {
		progress := "-"
		if op.State == admin.RepairRunning {
			progress = progressText(op)
		}
		result := op.Result
		if op.Error != "" {
			result = op.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", op.RepairType, op.State, progress, timePtr(op.StartedAt), timePtr(op.FinishedAt), orDash(result))
	}
	tw.Flush()
	b := st.Blocks
	fmt.Fprintln(w)
	fields(w,
		"Resync queue", fmt.Sprintf("%d blocks", b.ResyncQueueLength),
		"Blocks fetched", fmt.Sprint(b.BlocksFetched),
		"Blocks handed over", fmt.Sprint(b.BlocksOffloaded),
		"Resync errors", fmt.Sprint(b.ResyncErrors),
		"Blocks scrubbed", fmt.Sprint(b.ScrubChecked),
		"Corrupted found", fmt.Sprint(b.CorruptedFound),
		"Corrupted repaired", fmt.Sprint(b.CorruptedRepaired),
		"Blocks collected", fmt.Sprintf("%d (+%d orphan files)", b.GCDeleted, b.GCOrphansSwept),
		"Last scrub", timePtr(b.LastScrub),
		"Next scrub", timePtr(b.NextScrub),
	)
}

func timePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return formatTime(*t)
}
