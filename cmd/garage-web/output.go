package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/garage-web/garage-web/admin"
)

// show prints v as JSON with --json, else calls text.
func (c *cli) show(v any, text func(w io.Writer)) error {
	if c.opts.json {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", b)
		return err
	}
	text(c.stdout)
	return nil
}

// newTable returns a tabwriter for a table with the given header.
func newTable(w io.Writer, header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	return tw
}

// fields prints "Name:  value" lines aligned.
func fields(w io.Writer, kv ...string) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[i], kv[i+1])
	}
	tw.Flush()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateTime) + " UTC"
}

// formatBytes is n in binary units, with the exact count when rounded.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", float64(n)/float64(div), "KMGTPE"[exp], n)
}

// permString is "RWO" with "-" for missing permissions.
func permString(p admin.Permissions) string {
	b := []byte("---")
	if p.Read {
		b[0] = 'R'
	}
	if p.Write {
		b[1] = 'W'
	}
	if p.Owner {
		b[2] = 'O'
	}
	return string(b)
}

// permWords is "read, write" for messages.
func permWords(p admin.Permissions) string {
	var w []string
	if p.Read {
		w = append(w, "read")
	}
	if p.Write {
		w = append(w, "write")
	}
	if p.Owner {
		w = append(w, "owner")
	}
	return strings.Join(w, ", ")
}

// shortID is the start of a bucket id, enough for "bucket info".
func shortID(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// keyLabel names a key in messages: `"alice" (GK...)`.
func keyLabel(k admin.KeyInfo) string {
	if k.Name == "" {
		return k.AccessKeyID
	}
	return fmt.Sprintf("%q (%s)", k.Name, k.AccessKeyID)
}

// bucketLabel names a bucket in messages: its first alias, else its id.
func bucketLabel(b admin.BucketInfo) string {
	if len(b.GlobalAliases) > 0 {
		return fmt.Sprintf("%q", b.GlobalAliases[0])
	}
	return b.ID
}

func writeKeyInfo(w io.Writer, k admin.KeyInfo) {
	kv := []string{"Key ID", k.AccessKeyID, "Name", orDash(k.Name)}
	if k.SecretAccessKey != "" {
		kv = append(kv, "Secret key", k.SecretAccessKey)
	}
	kv = append(kv, "Created", formatTime(k.Created), "Can create buckets", yesNo(k.Permissions.CreateBucket))
	fields(w, kv...)
	if len(k.Buckets) == 0 {
		fmt.Fprintln(w, "\nNo bucket permissions.")
		return
	}
	fmt.Fprintln(w)
	tw := newTable(w, "BUCKET", "ID", "PERMISSIONS")
	for _, b := range k.Buckets {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", orDash(strings.Join(b.GlobalAliases, ", ")), shortID(b.ID), permString(b.Permissions))
	}
	tw.Flush()
}

func writeBucketInfo(w io.Writer, b admin.BucketInfo) {
	website := "disabled"
	if b.WebsiteAccess && b.WebsiteConfig != nil {
		website = "enabled, " + websiteSummary(b.WebsiteConfig)
	}
	fields(w,
		"Bucket ID", b.ID,
		"Global aliases", orDash(strings.Join(b.GlobalAliases, ", ")),
		"Created", formatTime(b.Created),
		"Website", website,
		"Objects", fmt.Sprint(b.Objects),
		"Size", formatBytes(b.Bytes),
	)
	if b.WebsiteAccess && b.WebsiteConfig != nil {
		writeRoutingRules(w, b.WebsiteConfig.RoutingRules)
	}
	if b.ACL != "" {
		fmt.Fprintf(w, "\nS3 ACL: %s\n", b.ACL)
	}
	if b.Policy != "" {
		fmt.Fprintf(w, "\nS3 bucket policy:\n%s\n", b.Policy)
	}
	if len(b.Keys) == 0 {
		fmt.Fprintln(w, "\nNo key has access.")
		return
	}
	fmt.Fprintln(w)
	tw := newTable(w, "KEY ID", "NAME", "PERMISSIONS")
	for _, k := range b.Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.AccessKeyID, orDash(k.Name), permString(k.Permissions))
	}
	tw.Flush()
}

// shortNode is the first 16 hex characters of a node id, as in tables.
func shortNode(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// formatCapacity is a role's capacity, "gateway" for none.
func formatCapacity(c *uint64) string {
	if c == nil {
		return "gateway"
	}
	return formatSize(*c)
}

// formatAgo is a duration in seconds, roughly: "42s ago", "5m ago".
func formatAgo(secs uint64) string {
	switch {
	case secs < 60:
		return fmt.Sprintf("%ds ago", secs)
	case secs < 3600:
		return fmt.Sprintf("%dm ago", secs/60)
	case secs < 86400:
		return fmt.Sprintf("%dh ago", secs/3600)
	}
	return fmt.Sprintf("%dd ago", secs/86400)
}

// plural is "1 node" or "3 nodes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
