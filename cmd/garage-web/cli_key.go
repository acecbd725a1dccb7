package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/garage-web/garage-web/admin"
)

// clientFunc is a command that talks to the admin API.
type clientFunc func(ctx context.Context, c *cli, cl *admin.Client, args []string) error

// withClient connects before running f.
func withClient(f clientFunc) runFunc {
	return func(ctx context.Context, c *cli, args []string) error {
		cl, err := c.client()
		if err != nil {
			return err
		}
		return f(ctx, c, cl, args)
	}
}

// findKey resolves KEY (an id, a name or an id prefix).
func findKey(ctx context.Context, cl *admin.Client, key string) (admin.KeyInfo, error) {
	return getKey(ctx, cl, admin.KeyQuery{Search: key})
}

// getKey is GetKey with a clear error for a name several keys share.
func getKey(ctx context.Context, cl *admin.Client, q admin.KeyQuery) (admin.KeyInfo, error) {
	k, err := cl.GetKey(ctx, q)
	if err != nil {
		return k, explainKeyLookup(ctx, cl, q.Search, keyError(err, q.Search))
	}
	return k, nil
}

func setupKeyCreate(fs *flag.FlagSet) runFunc {
	force := fs.Bool("force", false, "create the key even if another key has this name")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		k, err := cl.CreateKey(ctx, admin.CreateKeyRequest{Name: args[0], Force: *force})
		if err != nil {
			return nameInUse(ctx, cl, "key create", args[0], err)
		}
		return c.show(k, func(w io.Writer) {
			writeKeyInfo(w, k)
			fmt.Fprintln(w, "\nThe secret key is shown again only by 'garage-web key info --show-secret'.")
		})
	})
}

func setupKeyList(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		keys, err := cl.ListKeys(ctx)
		if err != nil {
			return err
		}
		return c.show(keyListJSON(keys), func(w io.Writer) {
			if len(keys) == 0 {
				fmt.Fprintln(w, "No keys. Create one with 'garage-web key create NAME'.")
				return
			}
			tw := newTable(w, "ID", "NAME", "CREATED")
			for _, k := range keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k.ID, orDash(k.Name), formatTime(k.Created))
			}
			tw.Flush()
		})
	})
}

func setupKeyInfo(fs *flag.FlagSet) runFunc {
	showSecret := fs.Bool("show-secret", false, "also print the secret key")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		k, err := getKey(ctx, cl, admin.KeyQuery{Search: args[0], ShowSecret: *showSecret})
		if err != nil {
			return err
		}
		return c.show(k, func(w io.Writer) { writeKeyInfo(w, k) })
	})
}

func setupKeyRename(fs *flag.FlagSet) runFunc {
	force := fs.Bool("force", false, "rename the key even if another key has the new name")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		k, err := findKey(ctx, cl, args[0])
		if err != nil {
			return err
		}
		k, err = cl.UpdateKey(ctx, k.AccessKeyID, admin.UpdateKeyRequest{Name: &args[1], Force: *force})
		if err != nil {
			return nameInUse(ctx, cl, "key rename", args[1], err)
		}
		return c.show(k, func(w io.Writer) { fmt.Fprintf(w, "Renamed key %s to %q.\n", k.AccessKeyID, k.Name) })
	})
}

func setupKeyAllow(fs *flag.FlagSet) runFunc { return setupKeyPermission(fs, true) }
func setupKeyDeny(fs *flag.FlagSet) runFunc  { return setupKeyPermission(fs, false) }

func setupKeyPermission(fs *flag.FlagSet, allow bool) runFunc {
	createBucket := fs.Bool("create-bucket", false, "the permission to create buckets")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		verb := map[bool]string{true: "allow", false: "deny"}[allow]
		if !*createBucket {
			return &usageError{msg: "key " + verb + ": no permission given (--create-bucket)", help: "garage-web help key " + verb}
		}
		k, err := findKey(ctx, cl, args[0])
		if err != nil {
			return err
		}
		req := admin.UpdateKeyRequest{}
		if allow {
			req.Allow = &admin.KeyPermissions{CreateBucket: true}
		} else {
			req.Deny = &admin.KeyPermissions{CreateBucket: true}
		}
		if k, err = cl.UpdateKey(ctx, k.AccessKeyID, req); err != nil {
			return err
		}
		return c.show(k, func(w io.Writer) {
			if allow {
				fmt.Fprintf(w, "Key %s can now create buckets.\n", keyLabel(k))
			} else {
				fmt.Fprintf(w, "Key %s can no longer create buckets.\n", keyLabel(k))
			}
		})
	})
}

func setupKeyImport(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "`NAME` of the key")
	force := fs.Bool("force", false, "import the key even if another key has this name")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		k, err := cl.ImportKey(ctx, admin.ImportKeyRequest{AccessKeyID: args[0], SecretAccessKey: args[1], Name: *name, Force: *force})
		if err != nil {
			return keyError(nameInUse(ctx, cl, "key import", *name, err), args[0])
		}
		return c.show(k, func(w io.Writer) { writeKeyInfo(w, k) })
	})
}

func setupKeyDelete(fs *flag.FlagSet) runFunc {
	yes := fs.Bool("yes", false, "confirm the deletion")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		k, err := findKey(ctx, cl, args[0])
		if err != nil {
			return err
		}
		if !*yes {
			return &usageError{
				msg:  fmt.Sprintf("key delete: add --yes to delete key %s and its bucket permissions", keyLabel(k)),
				help: "garage-web help key delete",
			}
		}
		if err := cl.DeleteKey(ctx, k.AccessKeyID); err != nil {
			return err
		}
		return c.show(k, func(w io.Writer) { fmt.Fprintf(w, "Deleted key %s.\n", keyLabel(k)) })
	})
}

// keyListItem is one key of "key list --json", with the field names of
// "key info --json" and "key create --json" (accessKeyId, not the admin
// API's id).
type keyListItem struct {
	AccessKeyID string    `json:"accessKeyId"`
	Name        string    `json:"name"`
	Created     time.Time `json:"created"`
}

func keyListJSON(keys []admin.KeySummary) []keyListItem {
	out := make([]keyListItem, len(keys))
	for i, k := range keys {
		out[i] = keyListItem{AccessKeyID: k.ID, Name: k.Name, Created: k.Created}
	}
	return out
}
