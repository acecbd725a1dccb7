package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

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

func setupNixCacheInfo(fs *flag.FlagSet) runFunc {
	stats := fs.Bool("stats", false, "also print the NARs stored and the pins")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		info, err := cl.GetNixCacheInfo(ctx, b.ID)
		if err != nil {
			return err
		}
		if !*stats || c.opts.json {
			return showNixInfo(c, args[0], info)
		}
		if err := showNixInfo(c, args[0], info); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "NARs stored: %d (%s); pinned paths: %d\n", info.Nars, formatBytes(info.NarBytes), len(info.Pins))
		fmt.Fprintln(c.stdout, "Hits, misses and bytes served: garageweb_nix_cache_* on the admin API's /metrics.")
		return nil
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

func setupNixCachePin(*flag.FlagSet) runFunc   { return nixCachePin(true) }
func setupNixCacheUnpin(*flag.FlagSet) runFunc { return nixCachePin(false) }

func nixCachePin(pinned bool) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		info, err := cl.NixCachePin(ctx, admin.NixCachePinRequest{BucketID: b.ID, StorePath: args[1], Pinned: pinned})
		if err != nil {
			return err
		}
		return c.show(info, func(w io.Writer) {
			fmt.Fprintf(w, "Cache %s pins %d store paths.\n", args[0], len(info.Pins))
		})
	})
}

func setupNixCacheGC(fs *flag.FlagSet) runFunc {
	olderThan := fs.String("older-than", "", "remove narinfos neither uploaded nor fetched within `AGE` (30d, 12h, …); required")
	dryRun := fs.Bool("dry-run", false, "only show what would be removed")
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, args []string) error {
		age, err := parseAge(*olderThan)
		if err != nil {
			return usageErrorf("nix-cache gc: --older-than: %v", err)
		}
		b, err := findBucket(ctx, cl, args[0])
		if err != nil {
			return err
		}
		res, err := cl.NixCacheGC(ctx, admin.NixCacheGCRequest{BucketID: b.ID, OlderThan: age.String(), DryRun: *dryRun})
		if err != nil {
			return err
		}
		return c.show(res, func(w io.Writer) {
			verb := "Removed"
			if *dryRun {
				verb = "Would remove"
			}
			for _, k := range append(append([]string{}, res.Narinfos...), res.Nars...) {
				fmt.Fprintf(w, "%s\n", k)
			}
			fmt.Fprintf(w, "%s %d narinfos and %d NARs; %d narinfos kept.\n", verb, len(res.Narinfos), len(res.Nars), res.Kept)
		})
	})
}

// parseAge parses a Go duration or a number of days ("30d").
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("missing")
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (30d, 12h, 90m)", s)
	}
	return d, nil
}
