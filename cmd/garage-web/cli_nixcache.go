package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/nixsign"
)

// nix-cache commands manage a Nix cache bucket's signing key through the
// admin API: the web endpoint signs narinfos with it (docs/web.md).

func setupNixCacheKeygen(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "key `NAME` (default: BUCKET-1)")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		n := *name
		if n == "" {
			n = args[0] + "-1"
		}
		k, err := nixsign.Generate(n)
		if err != nil {
			return err
		}
		info, err := cl.SetNixCacheKey(ctx, b.ID, k.String())
		if err != nil {
			return err
		}
		return showNixInfo(c, args[0], info)
	})
}

func setupNixCacheSetKey(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		data, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		secret := strings.TrimSpace(string(data))
		if _, err := nixsign.ParseSecretKey(secret); err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		info, err := cl.SetNixCacheKey(ctx, b.ID, secret)
		if err != nil {
			return err
		}
		return showNixInfo(c, args[0], info)
	})
}

func setupNixCacheInfo(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		info, err := cl.GetNixCacheInfo(ctx, b.ID)
		if err != nil {
			return err
		}
		return showNixInfo(c, args[0], info)
	})
}

// showNixInfo prints the public key alone (for trusted-public-keys), or
// says there is none.
func showNixInfo(c *cli, bucket string, info admin.NixCacheInfo) error {
	return c.show(info, func(w io.Writer) {
		if info.PublicKey == "" {
			fmt.Fprintf(w, "Cache %s has no signing key: 'garage-web nix-cache keygen %s'.\n", bucket, bucket)
			return
		}
		fmt.Fprintln(w, info.PublicKey)
	})
}
