package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/garage-web/garage-web/admin"
)

func setupStatus(fs *flag.FlagSet) runFunc {
	tables := fs.Bool("tables", false, "show this node's replica of each metadata table instead: entries, partitions in sync with the other replicas, entries exchanged by anti-entropy")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		if *tables {
			ts, err := cl.TableStatus(ctx, false)
			if err != nil {
				return err
			}
			return c.show(ts, func(w io.Writer) { writeTableStatus(w, ts) })
		}
		st, err := cl.ClusterStatus(ctx)
		if err != nil {
			return err
		}
		if c.opts.json {
			return c.show(st, nil)
		}
		health, err := cl.ClusterHealth(ctx)
		if err != nil {
			return err
		}
		layout, err := cl.GetLayout(ctx)
		if err != nil {
			return err
		}
		return c.show(st, func(w io.Writer) { writeStatus(w, st, health, layout) })
	})
}

func writeStatus(w io.Writer, st admin.ClusterStatus, h admin.ClusterHealth, l admin.ClusterLayout) {
	fmt.Fprintf(w, "Cluster %s: %d of %d storage nodes up, %d of %d partitions with a write quorum.\n",
		h.Status, h.StorageNodesUp, h.StorageNodes, h.PartitionsQuorum, h.Partitions)
	fmt.Fprintf(w, "Layout version %d, replication factor %d.\n\n", st.LayoutVersion, l.Parameters.ReplicationFactor)

	nodes := slices.Clone(st.Nodes)
	slices.SortFunc(nodes, func(a, b admin.NodeStatus) int {
		return cmp.Or(cmp.Compare(nodeZone(a), nodeZone(b)), cmp.Compare(a.ID, b.ID))
	})
	tw := newTable(w, "ID", "HOST", "ADDRESS", "ZONE", "CAPACITY", "PARTITIONS", "DATA", "STATUS", "LAST SEEN")
	noRole := 0
	for _, n := range nodes {
		zone, capacity := "-", "no role"
		if n.Role != nil {
			zone, capacity = n.Role.Zone, formatCapacity(n.Role.Capacity)
		} else {
			noRole++
		}
		data := "-"
		if n.StoredBytes != nil {
			data = formatSize(*n.StoredBytes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", shortNode(n.ID), orDash(n.Hostname), orDash(n.Addr),
			zone, capacity, n.StoredPartitions, data, nodeState(n), lastSeen(n))
	}
	tw.Flush()

	if noRole > 0 {
		fmt.Fprintf(w, "\n%s no role: give one with 'garage-web layout assign -z ZONE --capacity SIZE NODE' (or --gateway).\n",
			plural(noRole, "node has", "nodes have"))
	}
	if l.HasStagedChanges() {
		fmt.Fprintf(w, "\n%s: review with 'garage-web layout show', apply with 'garage-web layout apply --version %d'.\n",
			capitalize(stagedSummary(l)), l.Version+1)
	}
}

// nodeZone sorts nodes without a role last.
func nodeZone(n admin.NodeStatus) string {
	if n.Role == nil {
		return "\xff"
	}
	return n.Role.Zone
}

func nodeState(n admin.NodeStatus) string {
	s := []string{"down"}
	if n.IsUp {
		s[0] = "up"
	}
	if n.Draining {
		s = append(s, "draining")
	}
	if n.CatchingUp {
		s = append(s, "catching up")
	}
	return strings.Join(s, ", ")
}

func lastSeen(n admin.NodeStatus) string {
	switch {
	case n.IsUp:
		return "now"
	case n.LastSeenSecsAgo == nil:
		return "never"
	}
	return formatAgo(*n.LastSeenSecsAgo)
}

// stagedSummary is "2 staged role changes and a new replication factor".
func stagedSummary(l admin.ClusterLayout) string {
	var parts []string
	if n := len(l.StagedRoleChanges); n > 0 {
		parts = append(parts, plural(n, "staged role change", "staged role changes"))
	}
	if l.StagedParameters != nil {
		parts = append(parts, fmt.Sprintf("replication factor %d staged", l.StagedParameters.ReplicationFactor))
	}
	return strings.Join(parts, " and ")
}

func setupNodeConnect(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		res, err := cl.ConnectNodes(ctx, args)
		if err != nil {
			return err
		}
		failed := 0
		for _, r := range res {
			if !r.Success {
				failed++
			}
		}
		err = c.show(res, func(w io.Writer) {
			for i, r := range res {
				if r.Success {
					fmt.Fprintf(w, "Connected to %s.\n", args[i])
				} else {
					fmt.Fprintf(w, "Could not connect to %s: %s\n", args[i], r.Error)
				}
			}
		})
		if err == nil && failed > 0 {
			err = fmt.Errorf("%d of %d connections failed; check the address and that the node runs with the same rpc_secret", failed, len(res))
		}
		return err
	})
}

// resolveNodes turns node ids or unique hex prefixes of them into whole
// ids, with the nodes ClusterStatus knows. A whole id is kept even when
// the node is not known (the server then says so).
func resolveNodes(ctx context.Context, cl *admin.Client, args []string) ([]string, error) {
	st, err := cl.ClusterStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(args))
	for i, a := range args {
		if out[i], err = resolveNode(st, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func resolveNode(st admin.ClusterStatus, arg string) (string, error) {
	p := strings.ToLower(arg)
	if p == "" || strings.Trim(p, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q is not a node id: want hex characters, the start of an id from 'garage-web status'", arg)
	}
	var found []string
	for _, n := range st.Nodes {
		if strings.HasPrefix(n.ID, p) {
			found = append(found, n.ID)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		short := make([]string, len(found))
		for i, id := range found {
			short[i] = shortNode(id)
		}
		return "", fmt.Errorf("node id %q matches %d nodes (%s): give more characters", arg, len(found), strings.Join(short, ", "))
	case len(p) == 64:
		return p, nil
	}
	return "", fmt.Errorf("no node has an id starting with %q: 'garage-web status' lists the nodes, 'garage-web node connect ID@ADDR' adds one", arg)
}

// writeTableStatus prints the anti-entropy state of the node's tables.
func writeTableStatus(w io.Writer, ts admin.NodeTableStatus) {
	fmt.Fprintf(w, "Layout version %d; this node reads at version %d and writes at %s.\n", ts.LayoutVersion, ts.ReadVersion, joinVersions(ts.WriteVersions))
	switch {
	case ts.SyncRunning:
		fmt.Fprintf(w, "Anti-entropy pass running: %d of %d partitions done.\n", ts.PassDone, ts.PassTotal)
	case ts.LastFullSync != nil:
		fmt.Fprintf(w, "Last full anti-entropy pass: %s.\n", ts.LastFullSync.Local().Format("2006-01-02 15:04:05"))
	default:
		fmt.Fprintln(w, "No full anti-entropy pass finished yet.")
	}
	switch n := ts.ReadLeasePartitions; {
	case n == nil:
		fmt.Fprintln(w, "Read leases are off: every read asks a read quorum.")
	case *n == 0:
		fmt.Fprintln(w, "Read leases: no partition is read locally yet (no lease, a layout change in progress, or catching up).")
	default:
		fmt.Fprintf(w, "Read leases: %d of 256 partitions are read from this node's copy.\n", *n)
	}
	fmt.Fprintln(w)
	tw := newTable(w, "TABLE", "ENTRIES", "IN SYNC", "OUT OF SYNC", "SENT", "RECEIVED")
	for _, t := range ts.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", t.Name, t.Entries, t.PartitionsInSync, t.PartitionsOutOfSync, t.EntriesSent, t.EntriesReceived)
	}
	tw.Flush()
}

func joinVersions(vs []uint64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " and ")
}
