package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// firstKeyMarker records that the first access key was made and shown.
const firstKeyMarker = "first_key_created"

// firstKeyName names the access key made on a node's first start.
const firstKeyName = "default"

// banner prints the node's endpoints and how the CLI finds the node and,
// on the very first start, makes an access key allowed to create buckets.
// Its secret is printed once, and only when out is a terminal: under a
// service manager out goes to the journal, so the banner says how to
// reveal it instead (`garage-web key info default --show-secret`).
func (n *Node) banner(ctx context.Context, out io.Writer) error {
	if out == nil {
		return nil
	}
	s3URL := "http://" + n.cfg.S3API.APIBindAddr
	var b strings.Builder
	fmt.Fprintf(&b, "\ngarage-web %s is running (node %s…)\n", Version, n.id[:16])
	fmt.Fprintf(&b, "  S3 API     %s   (region %s)\n", s3URL, n.cfg.S3API.S3Region)
	if n.cfg.S3Web.BindAddr != "" {
		fmt.Fprintf(&b, "  Web        http://<bucket>%s:%s\n", n.cfg.S3Web.RootDomain, portOf(n.cfg.S3Web.BindAddr))
	}
	fmt.Fprintf(&b, "  Admin API  http://%s   (metrics at /metrics, health at /health)\n", n.cfg.Admin.APIBindAddr)
	fmt.Fprintf(&b, "  CLI        %s\n", n.cfg.CLIHint())
	if !n.cluster.standalone() {
		// A node of a cluster: keys are made once for the whole cluster,
		// with the CLI, once the layout is applied.
		fmt.Fprintf(&b, "  Node       %s@%s\n", n.id, n.cluster.cfg.RPCPublicAddr)
		if n.cluster.layout.Get().Version() == 0 {
			fmt.Fprintf(&b, "\nThis node has no role in a cluster layout yet. From any node: `garage-web node connect ID@ADDR` (or bootstrap_peers),\n`garage-web layout assign -z ZONE --capacity SIZE ID` for each node, then `garage-web layout apply --version N`.\n")
		}
		fmt.Fprintf(&b, "\nAccess keys are shared by the cluster: `garage-web key create NAME`, `garage-web key list`.\n")
		_, err := io.WriteString(out, b.String()+"\n")
		return err
	}
	marker := filepath.Join(n.cfg.MetadataDir, firstKeyMarker)
	_, err := os.Stat(marker)
	switch {
	case err == nil:
		fmt.Fprintf(&b, "\nAccess keys: `garage-web key list`; the first one: `garage-web key info %s --show-secret`.\n", firstKeyName)
	case errors.Is(err, os.ErrNotExist):
		k, err := n.model.CreateKey(ctx, firstKeyName)
		if err != nil {
			return err
		}
		allow := true
		if _, err := n.model.UpdateKey(ctx, k.ID, nil, &allow); err != nil {
			return err
		}
		if err := os.WriteFile(marker, []byte(k.ID+"\n"), 0o600); err != nil {
			return fmt.Errorf("record first key: %w", err)
		}
		if !isTerminal(out) {
			// A service manager (journald) or a file: never the secret.
			fmt.Fprintf(&b, "\nAn access key %q was made for you (%s). Its secret is not printed here, as this output is not a terminal:\n", firstKeyName, k.ID)
			fmt.Fprintf(&b, "  garage-web key info %s --show-secret\n\n", firstKeyName)
			fmt.Fprintf(&b, "Then export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION=%s AWS_ENDPOINT_URL=%s and try:\n  aws s3 mb s3://my-bucket\n", n.cfg.S3API.S3Region, s3URL)
			break
		}
		fmt.Fprintf(&b, "\nAn access key was made for you (shown only this once; `garage-web key info %s --show-secret` shows it again):\n\n", firstKeyName)
		fmt.Fprintf(&b, "  export AWS_ACCESS_KEY_ID=%s\n", k.ID)
		fmt.Fprintf(&b, "  export AWS_SECRET_ACCESS_KEY=%s\n", k.Secret)
		fmt.Fprintf(&b, "  export AWS_DEFAULT_REGION=%s AWS_ENDPOINT_URL=%s\n\n", n.cfg.S3API.S3Region, s3URL)
		fmt.Fprintf(&b, "Then try:\n  aws s3 mb s3://my-bucket\n  aws s3 cp README.md s3://my-bucket/\n  aws s3 ls s3://my-bucket\n")
	default:
		return err
	}
	_, err = io.WriteString(out, b.String()+"\n")
	return err
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i+1:]
	}
	return addr
}

// isTerminal reports whether out is a terminal (a character device).
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
