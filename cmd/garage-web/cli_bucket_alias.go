package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/garage-web/garage-web/admin"
)

func setupBucketAlias(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		b, err = cl.AddBucketAlias(ctx, b.ID, args[1])
		if err != nil {
			return err
		}
		return c.show(b, func(w io.Writer) {
			fmt.Fprintf(w, "Bucket %s is also named %q.\n", shortID(b.ID), args[1])
		})
	})
}

func setupBucketUnalias(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		b, err = cl.RemoveBucketAlias(ctx, b.ID, args[1])
		if err != nil {
			return err
		}
		return c.show(b, func(w io.Writer) {
			fmt.Fprintf(w, "Bucket %s is no longer named %q.\n", shortID(b.ID), args[1])
		})
	})
}
