package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/garage-web/garage-web/admin"
)

func setupLayoutShow(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		l, err := cl.GetLayout(ctx)
		if err != nil {
			return err
		}
		if c.opts.json || !l.HasStagedChanges() {
			return c.show(l, func(w io.Writer) { writeLayout(w, l, nil, "") })
		}
		// What applying would do, or why it cannot be applied.
		preview, err := cl.PreviewLayout(ctx)
		var apiErr *admin.APIError
		problem := ""
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest {
			problem, err = apiErr.Message, nil
		}
		if err != nil {
			return err
		}
		p := &preview
		if problem != "" {
			p = nil
		}
		return c.show(l, func(w io.Writer) { writeLayout(w, l, p, problem) })
	})
}

// writeLayout prints the applied layout, the staged changes and, when
// there are some, the preview of applying them or the problem that
// prevents it.
func writeLayout(w io.Writer, l admin.ClusterLayout, preview *admin.LayoutPreview, problem string) {
	fmt.Fprintf(w, "Layout version %d, replication factor %d", l.Version, l.Parameters.ReplicationFactor)
	if l.PartitionSize > 0 {
		fmt.Fprintf(w, ", partition size %s", formatSize(l.PartitionSize))
	}
	fmt.Fprintln(w, ".")
	if len(l.Roles) == 0 {
		fmt.Fprintln(w, "\nNo node has a role yet.")
	} else {
		fmt.Fprintln(w)
		writeRoles(w, l.Roles)
	}
	if !l.HasStagedChanges() {
		fmt.Fprintln(w, "\nNo staged changes. Stage some with 'garage-web layout assign', 'layout remove' or 'layout config'.")
		return
	}
	fmt.Fprintln(w, "\nStaged changes:")
	if len(l.StagedRoleChanges) > 0 {
		tw := newTable(w, "ID", "CHANGE")
		for _, ch := range l.StagedRoleChanges {
			fmt.Fprintf(tw, "%s\t%s\n", shortNode(ch.ID), describeChange(ch))
		}
		tw.Flush()
	}
	if p := l.StagedParameters; p != nil {
		fmt.Fprintf(w, "Replication factor: %d -> %d\n", l.Parameters.ReplicationFactor, p.ReplicationFactor)
	}
	if problem != "" {
		fmt.Fprintf(w, "\nThe staged changes cannot be applied: %s\n", problem)
		fmt.Fprintln(w, "Change them, or discard them with 'garage-web layout revert'.")
		return
	}
	if preview != nil {
		fmt.Fprintf(w, "\nWith the staged changes (version %d):\n", preview.NewLayout.Version)
		writeRoles(w, preview.NewLayout.Roles)
		for _, m := range preview.Message {
			fmt.Fprintln(w, m)
		}
	}
	fmt.Fprintf(w, "\nApply with 'garage-web layout apply --version %d', or discard with 'garage-web layout revert'.\n", l.Version+1)
}

func writeRoles(w io.Writer, roles []admin.LayoutNodeRole) {
	tw := newTable(w, "ID", "ZONE", "CAPACITY", "PARTITIONS", "USABLE", "TAGS")
	for _, r := range roles {
		usable := "-"
		if r.UsableCapacity != nil {
			usable = formatSize(*r.UsableCapacity)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", shortNode(r.ID), r.Zone, formatCapacity(r.Capacity),
			r.StoredPartitions, usable, orDash(strings.Join(r.Tags, ",")))
	}
	tw.Flush()
}

// describeChange is "zone dc1, capacity 1 TB, tags a,b" or "remove".
func describeChange(ch admin.NodeRoleChange) string {
	if ch.Remove {
		return "remove from the layout"
	}
	s := fmt.Sprintf("zone %s, ", ch.Zone)
	if ch.Capacity == nil {
		s += "gateway"
	} else {
		s += "capacity " + formatSize(*ch.Capacity)
	}
	if len(ch.Tags) > 0 {
		s += ", tags " + strings.Join(ch.Tags, ",")
	}
	return s
}

// applyHint is printed after staging a change.
func applyHint(w io.Writer, l admin.ClusterLayout) {
	fmt.Fprintf(w, "Review with 'garage-web layout show', apply with 'garage-web layout apply --version %d'.\n", l.Version+1)
}

func setupLayoutAssign(fs *flag.FlagSet) runFunc {
	var zone string
	var capacity *uint64
	var tags []string
	fs.StringVar(&zone, "z", "", "`ZONE` of the nodes (a site: nodes of one zone fail together)")
	fs.StringVar(&zone, "zone", "", "same as -z")
	fs.Func("capacity", "`SIZE` of data the nodes may store: 500G, 1T, 10GiB, 123456 (bytes)", func(s string) error {
		n, err := parseCapacity(s)
		capacity = &n
		return err
	})
	gateway := fs.Bool("gateway", false, "make the nodes gateways: they serve S3 and websites but store no data")
	fs.Func("tag", "a `TAG` of the nodes, for people (repeat for several; replaces the current tags)", func(s string) error {
		if s == "" {
			return errors.New("empty tag")
		}
		tags = append(tags, s)
		return nil
	})
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		if *gateway && capacity != nil {
			return &usageError{msg: "layout assign: --capacity and --gateway cannot be used together", help: "garage-web help layout assign"}
		}
		ids, err := resolveNodes(ctx, cl, args)
		if err != nil {
			return err
		}
		l, err := cl.GetLayout(ctx)
		if err != nil {
			return err
		}
		req := admin.UpdateLayoutRequest{}
		for _, id := range ids {
			ch := admin.NodeRoleChange{ID: id, Zone: zone, Capacity: capacity, Tags: tags}
			cur, ok := currentRole(l, id)
			switch {
			case ch.Zone == "" && !ok:
				return &usageError{msg: fmt.Sprintf("layout assign: node %s has no role yet: give its zone with -z ZONE", shortNode(id)), help: "garage-web help layout assign"}
			case ch.Zone == "":
				ch.Zone = cur.Zone
			}
			switch {
			case *gateway:
				ch.Capacity = nil
			case capacity == nil && !ok:
				return &usageError{msg: fmt.Sprintf("layout assign: node %s has no role yet: give --capacity SIZE, or --gateway", shortNode(id)), help: "garage-web help layout assign"}
			case capacity == nil:
				ch.Capacity = cur.Capacity
			}
			if tags == nil && ok {
				ch.Tags = cur.Tags
			}
			req.Roles = append(req.Roles, ch)
		}
		l, err = cl.UpdateLayout(ctx, req)
		if err != nil {
			return err
		}
		return c.show(l, func(w io.Writer) {
			for _, ch := range req.Roles {
				fmt.Fprintf(w, "Staged for node %s: %s.\n", shortNode(ch.ID), describeChange(ch))
			}
			applyHint(w, l)
		})
	})
}

// currentRole is the role a node will have once the staged changes are
// applied, if any.
func currentRole(l admin.ClusterLayout, id string) (admin.NodeRole, bool) {
	for _, ch := range l.StagedRoleChanges {
		if ch.ID == id {
			return ch.Role(), !ch.Remove
		}
	}
	for _, r := range l.Roles {
		if r.ID == id {
			return admin.NodeRole{Zone: r.Zone, Capacity: r.Capacity, Tags: r.Tags}, true
		}
	}
	return admin.NodeRole{}, false
}

func setupLayoutRemove(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		ids, err := resolveNodes(ctx, cl, args)
		if err != nil {
			return err
		}
		req := admin.UpdateLayoutRequest{}
		for _, id := range ids {
			req.Roles = append(req.Roles, admin.NodeRoleChange{ID: id, Remove: true})
		}
		l, err := cl.UpdateLayout(ctx, req)
		if err != nil {
			return err
		}
		return c.show(l, func(w io.Writer) {
			for _, id := range ids {
				fmt.Fprintf(w, "Staged the removal of node %s from the layout.\n", shortNode(id))
			}
			applyHint(w, l)
		})
	})
}

func setupLayoutConfig(fs *flag.FlagSet) runFunc {
	var rf int
	fs.IntVar(&rf, "r", 0, "replication `FACTOR`: copies of each partition, 1 to 3")
	fs.IntVar(&rf, "replication-factor", 0, "same as -r")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		if rf == 0 {
			return &usageError{msg: "layout config: nothing to change: give -r N", help: "garage-web help layout config"}
		}
		l, err := cl.UpdateLayout(ctx, admin.UpdateLayoutRequest{Parameters: &admin.LayoutParameters{ReplicationFactor: rf}})
		if err != nil {
			return err
		}
		return c.show(l, func(w io.Writer) {
			if l.StagedParameters == nil {
				fmt.Fprintf(w, "The replication factor is already %d; nothing staged.\n", rf)
				return
			}
			fmt.Fprintf(w, "Staged replication factor %d (now %d).\n", rf, l.Parameters.ReplicationFactor)
			applyHint(w, l)
		})
	})
}

func setupLayoutApply(fs *flag.FlagSet) runFunc {
	version := fs.Uint64("version", 0, "`N`, the version the staged changes become: the current version + 1 (see 'garage-web layout show')")
	wait := fs.Bool("wait", false, "wait until the data has moved and every node uses the new version, showing progress")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		if *version == 0 {
			msg := "layout apply: missing --version N"
			if l, err := cl.GetLayout(ctx); err == nil {
				if l.HasStagedChanges() {
					msg += fmt.Sprintf("; to apply the staged changes run 'garage-web layout apply --version %d'", l.Version+1)
				} else {
					msg += "; there are no staged changes to apply"
				}
			}
			return &usageError{msg: msg, help: "garage-web help layout apply"}
		}
		res, err := cl.ApplyLayout(ctx, *version)
		if err != nil {
			return err
		}
		if *wait {
			if err := c.show(res, func(w io.Writer) {
				fmt.Fprintf(w, "Applied layout version %d: %s move to new nodes.\n", res.Layout.Version,
					plural(res.PartitionsMoved, "partition replica", "partition replicas"))
			}); err != nil {
				return err
			}
			_, err := waitLayout(ctx, cl, c.stderr)
			return err
		}
		return c.show(res, func(w io.Writer) {
			for _, m := range res.Message {
				fmt.Fprintln(w, m)
			}
			fmt.Fprintf(w, "Applied layout version %d: %s move to new nodes.\n", res.Layout.Version,
				plural(res.PartitionsMoved, "partition replica", "partition replicas"))
			if res.PartitionsMoved > 0 {
				fmt.Fprintln(w, "Data moves in the background; 'garage-web status' shows the nodes catching up.")
			}
		})
	})
}

func setupLayoutRevert(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		before, err := cl.GetLayout(ctx)
		if err != nil {
			return err
		}
		l, err := cl.RevertLayout(ctx)
		if err != nil {
			return err
		}
		return c.show(l, func(w io.Writer) {
			if !before.HasStagedChanges() {
				fmt.Fprintf(w, "No staged changes to discard; the layout stays at version %d.\n", l.Version)
				return
			}
			fmt.Fprintf(w, "Discarded %s; the layout stays at version %d.\n", stagedSummary(before), l.Version)
		})
	})
}

func setupLayoutHistory(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		h, err := cl.LayoutHistory(ctx)
		if err != nil {
			return err
		}
		return c.show(h, func(w io.Writer) {
			if len(h.Versions) == 0 {
				fmt.Fprintln(w, "No layout applied yet. Start with 'garage-web layout assign'.")
				return
			}
			tw := newTable(w, "VERSION", "STATUS", "STORAGE NODES", "GATEWAYS")
			for _, v := range h.Versions {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%d\n", v.Version, strings.ToLower(v.Status), v.StorageNodes, v.GatewayNodes)
			}
			tw.Flush()
			fmt.Fprintf(w, "\nCurrent version %d; every node has acknowledged version %d.\n", h.CurrentVersion, h.MinAck)
			if len(h.UpdateTrackers) > 0 {
				fmt.Fprintln(w)
				tw := newTable(w, "NODE", "ACK", "SYNC", "SYNC ACK")
				for _, id := range sortedKeys(h.UpdateTrackers) {
					t := h.UpdateTrackers[id]
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", shortNode(id), t.Ack, t.Sync, t.SyncAck)
				}
				tw.Flush()
			}
		})
	})
}
