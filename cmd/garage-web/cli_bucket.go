package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/garage-web/garage-web/admin"
)

// findBucket resolves BUCKET (a global alias, an id or an id prefix).
func findBucket(ctx context.Context, cl *admin.Client, bucket string) (admin.BucketInfo, error) {
	b, err := cl.GetBucket(ctx, admin.BucketQuery{Search: bucket})
	if err != nil {
		return b, bucketError(err, bucket)
	}
	return b, nil
}

func setupBucketCreate(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := cl.CreateBucket(ctx, args[0])
		if err != nil {
			return bucketError(err, args[0])
		}
		return c.show(b, func(w io.Writer) {
			fmt.Fprintf(w, "Created bucket %q (%s).\n", args[0], b.ID)
			fmt.Fprintf(w, "Give a key access with 'garage-web bucket allow --read --write %s --key KEY'.\n", args[0])
		})
	})
}

func setupBucketList(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		buckets, err := cl.ListBuckets(ctx)
		if err != nil {
			return err
		}
		return c.show(buckets, func(w io.Writer) {
			if len(buckets) == 0 {
				fmt.Fprintln(w, "No buckets. Create one with 'garage-web bucket create NAME'.")
				return
			}
			tw := newTable(w, "ID", "GLOBAL ALIASES", "CREATED")
			for _, b := range buckets {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", shortID(b.ID), orDash(strings.Join(b.GlobalAliases, ", ")), formatTime(b.Created))
			}
			tw.Flush()
		})
	})
}

func setupBucketInfo(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		return c.show(b, func(w io.Writer) { writeBucketInfo(w, b) })
	})
}

func setupBucketDelete(fs *flag.FlagSet) runFunc {
	yes := fs.Bool("yes", false, "confirm the deletion")
	force := fs.Bool("force", false, "delete the bucket's objects and abort its uploads first")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		if !*yes {
			what := "delete bucket"
			if *force {
				what = "delete bucket and all its objects:"
			}
			return &usageError{
				msg:  fmt.Sprintf("bucket delete: add --yes to %s %s", what, bucketLabel(b)),
				help: "garage-web help bucket delete",
			}
		}
		if *force {
			if err := emptyBucket(ctx, c, cl, b, args[0]); err != nil {
				return err
			}
		}
		if err := cl.DeleteBucket(ctx, b.ID); err != nil {
			if errors.Is(err, admin.ErrBucketNotEmpty) {
				if cur, gerr := cl.GetBucket(ctx, admin.BucketQuery{ID: b.ID}); gerr == nil && cur.Objects > 0 {
					return bucketNotEmpty(args[0], cur.Objects)
				}
			}
			return bucketError(err, args[0])
		}
		return c.show(b, func(w io.Writer) { fmt.Fprintf(w, "Deleted bucket %s.\n", bucketLabel(b)) })
	})
}

func setupBucketAllow(fs *flag.FlagSet) runFunc { return setupBucketPermission(fs, true) }
func setupBucketDeny(fs *flag.FlagSet) runFunc  { return setupBucketPermission(fs, false) }

func setupBucketPermission(fs *flag.FlagSet, allow bool) runFunc {
	var p admin.Permissions
	fs.BoolVar(&p.Read, "read", false, "read objects")
	fs.BoolVar(&p.Write, "write", false, "write and delete objects")
	fs.BoolVar(&p.Owner, "owner", false, "change the bucket's settings (website, CORS, policies)")
	key := fs.String("key", "", "the access `KEY` (id or name)")
	verb := map[bool]string{true: "allow", false: "deny"}[allow]
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		if !p.Any() {
			return &usageError{msg: "bucket " + verb + ": no permission given (--read, --write, --owner)", help: "garage-web help bucket " + verb}
		}
		if *key == "" {
			return &usageError{msg: "bucket " + verb + ": missing --key KEY", help: "garage-web help bucket " + verb}
		}
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		k, err := findKey(ctx, cl, *key)
		if err != nil {
			return err
		}
		req := admin.BucketKeyRequest{BucketID: b.ID, AccessKeyID: k.AccessKeyID, Permissions: p}
		if allow {
			b, err = cl.AllowBucketKey(ctx, req)
		} else {
			b, err = cl.DenyBucketKey(ctx, req)
		}
		if err != nil {
			return err
		}
		return c.show(b, func(w io.Writer) {
			if allow {
				fmt.Fprintf(w, "Key %s now has %s on bucket %s.\n", keyLabel(k), permWords(p), bucketLabel(b))
			} else {
				fmt.Fprintf(w, "Key %s no longer has %s on bucket %s.\n", keyLabel(k), permWords(p), bucketLabel(b))
			}
		})
	})
}

func setupBucketWebsite(fs *flag.FlagSet) runFunc {
	allow := fs.Bool("allow", false, "serve the bucket as a website (settings not given are kept)")
	deny := fs.Bool("deny", false, "stop serving the bucket as a website")
	index := fs.String("index-document", "index.html", "`NAME` of the object served for a directory (default: the current one, else index.html)")
	errorDoc := fs.String("error-document", "", "`NAME` of the object served, with status 404, when an object is missing (default: the current one; \"\" for none)")
	uploads := fs.Bool("uploads", false, "accept HTTP PUT uploads on the web endpoint (Nix binary caches), authenticated by a key with write permission (default: the current setting; --uploads=false to stop)")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		if *allow == *deny {
			return &usageError{msg: "bucket website: give one of --allow and --deny", help: "garage-web help bucket website"}
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if *deny && (given["index-document"] || given["error-document"] || given["uploads"]) {
			return &usageError{msg: "bucket website: --index-document, --error-document and --uploads go with --allow", help: "garage-web help bucket website"}
		}
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		wa := &admin.WebsiteAccess{Enabled: *allow}
		if *allow {
			// Change only what was asked; routing rules set over S3 are
			// kept by the server.
			wa.IndexDocument, wa.ErrorDocument, wa.Uploads = *index, *errorDoc, *uploads
			if cur := b.WebsiteConfig; b.WebsiteAccess && cur != nil {
				if cur.RedirectAllRequestsTo != nil && !given["index-document"] {
					return fmt.Errorf("bucket %s redirects every request to %s (set over S3); give --index-document NAME to serve it as a website instead",
						args[0], cur.RedirectAllRequestsTo.HostName)
				}
				if !given["index-document"] && cur.IndexDocument != "" {
					wa.IndexDocument = cur.IndexDocument
				}
				if !given["error-document"] {
					wa.ErrorDocument = cur.ErrorDocument
				}
				if !given["uploads"] {
					wa.Uploads = cur.Uploads
				}
			}
		}
		if b, err = cl.UpdateBucket(ctx, b.ID, admin.UpdateBucketRequest{WebsiteAccess: wa}); err != nil {
			return bucketError(err, args[0])
		}
		return c.show(b, func(w io.Writer) {
			if *deny {
				fmt.Fprintf(w, "Website access disabled for bucket %s.\n", bucketLabel(b))
				return
			}
			fmt.Fprintf(w, "Website access enabled for bucket %s (%s).\n", bucketLabel(b), websiteSummary(b.WebsiteConfig))
		})
	})
}
