package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/garage-web/garage-web/config"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/site"
)

// Site commands talk to the S3 API with the access key of
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, like aws. The endpoint is
// AWS_ENDPOINT_URL when set, else [s3_api] api_bind_addr of the
// configuration; the region AWS_REGION / AWS_DEFAULT_REGION, else
// [s3_api] s3_region.

type siteFunc func(ctx context.Context, c *cli, sc *site.Client, args []string) error

func withSiteClient(f siteFunc) runFunc {
	return func(ctx context.Context, c *cli, args []string) error {
		sc, err := c.siteClient()
		if err != nil {
			return err
		}
		return f(ctx, c, sc, args)
	}
}

func (c *cli) siteClient() (*site.Client, error) {
	id, _ := c.getenv("AWS_ACCESS_KEY_ID")
	secret, _ := c.getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, fmt.Errorf("no access key: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (see 'garage-web key create')")
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	endpoint, _ := c.getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		if endpoint, err = s3URL(cfg); err != nil {
			return nil, err
		}
	}
	region, _ := c.getenv("AWS_REGION")
	if region == "" {
		region, _ = c.getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = cfg.S3API.S3Region
	}
	if region == "" {
		region = "garage"
	}
	c.adminURL = endpoint
	return site.NewClient(endpoint, region, id, secret), nil
}

func s3URL(cfg *config.Config) (string, error) {
	host, port, err := net.SplitHostPort(cfg.S3API.APIBindAddr)
	if err != nil {
		return "", fmt.Errorf("s3_api.api_bind_addr %q is not host:port", cfg.S3API.APIBindAddr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func setupSiteDeploy(fs *flag.FlagSet) runFunc {
	message := fs.String("message", "", "a `MESSAGE` recorded with the deploy")
	noPublish := fs.Bool("no-publish", false, "do not make the deploy live (check it at its preview host, then 'site publish')")
	parallel := fs.Int("parallel", 8, "`N` files sent at once")
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		dir, name := args[0], args[1]
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		res, err := sc.Deploy(ctx, site.DeployOptions{
			Dir: dir, Site: name, Message: *message, NoPublish: *noPublish, Parallel: *parallel,
			Progress: newProgress(c.stderr),
		})
		for _, e := range res.RuleErrors {
			fmt.Fprintf(c.stderr, "warning: %s (line ignored)\n", e.Error())
		}
		if err != nil {
			return fmt.Errorf("deploy of %s to site %s failed, the live site is unchanged: %w", dir, name, err)
		}
		return c.show(res, func(w io.Writer) {
			state := "live"
			if !res.Live {
				state = "not published: 'garage-web site publish " + name + " " + res.ID + "'"
			}
			fmt.Fprintf(w, "Deploy %s of site %s: %d files, %d uploaded, %s.\n", res.ID, name, res.Files, res.Uploaded, state)
			fmt.Fprintf(w, "Preview: host %s<root_domain> of the web endpoint.\n", res.Preview)
		})
	})
}

// deployJSON is one line of `site deploys --json`.
type deployJSON struct {
	ID      string `json:"id"`
	Live    bool   `json:"live"`
	Time    string `json:"time"`
	Files   int64  `json:"files"`
	Message string `json:"message"`
}

func setupSiteDeploys(*flag.FlagSet) runFunc {
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		info, err := sc.Info(ctx, args[0])
		if err != nil {
			return err
		}
		out := []deployJSON{}
		for _, d := range info.Deploys {
			out = append(out, deployJSON{ID: d.ID, Live: d.ID == info.Live, Time: msRFC3339(d.Created), Files: d.Files, Message: d.Message})
		}
		return c.show(out, func(w io.Writer) {
			tw := newTable(w, "ID", "LIVE", "TIME", "FILES", "SIZE", "STATE", "MESSAGE")
			for _, d := range info.Deploys {
				state := "ready"
				if !d.Ready {
					state = "unfinished"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, yesNo(d.ID == info.Live), msRFC3339(d.Created), d.Files, formatBytes(d.Size), state, orDash(d.Message))
			}
			tw.Flush()
		})
	})
}

func msRFC3339(ms uint64) string { return time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339) }

func showDeploy(c *cli, verb, name string, info site.Info) error {
	d := info.Deploy
	if d == nil {
		return fmt.Errorf("the node answered no deploy")
	}
	return c.show(deployJSON{ID: d.ID, Live: d.ID == info.Live, Time: msRFC3339(d.Created), Files: d.Files, Message: d.Message}, func(w io.Writer) {
		fmt.Fprintf(w, "%s deploy %s of site %s (%d files).\n", verb, d.ID, name, d.Files)
	})
}

func setupSitePublish(*flag.FlagSet) runFunc {
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		info, err := sc.Publish(ctx, args[0], args[1])
		if err != nil {
			return err
		}
		return showDeploy(c, "Published", args[0], info)
	})
}

func setupSiteRollback(*flag.FlagSet) runFunc {
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		if len(args) > 2 {
			return usageErrorf("site rollback: SITE [ID]")
		}
		id := ""
		if len(args) == 2 {
			id = args[1]
		}
		info, err := sc.Rollback(ctx, args[0], id)
		if err != nil {
			return err
		}
		return showDeploy(c, "Rolled back to", args[0], info)
	})
}

func setupSiteDomainAdd(*flag.FlagSet) runFunc {
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		info, err := sc.AddDomain(ctx, args[0], strings.ToLower(args[1]))
		if err != nil {
			return err
		}
		return showDomains(c, info)
	})
}

func setupSiteDomainRemove(*flag.FlagSet) runFunc {
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		info, err := sc.RemoveDomain(ctx, args[0], strings.ToLower(args[1]))
		if err != nil {
			return err
		}
		return showDomains(c, info)
	})
}

func setupSiteDomainList(*flag.FlagSet) runFunc {
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		info, err := sc.Info(ctx, args[0])
		if err != nil {
			return err
		}
		return showDomains(c, info)
	})
}

func showDomains(c *cli, info site.Info) error {
	domains := info.Domains
	if domains == nil {
		domains = []string{}
	}
	return c.show(domains, func(w io.Writer) {
		if len(domains) == 0 {
			fmt.Fprintf(w, "Site %s has no custom domain.\n", info.Site)
		}
		for _, d := range domains {
			fmt.Fprintln(w, d)
		}
	})
}

func setupSiteRetention(fs *flag.FlagSet) runFunc {
	keep := fs.Int("keep", 0, fmt.Sprintf("keep the newest `N` deploys (0: the default, %d)", model.DefaultKeepDeploys))
	maxAge := fs.Duration("max-age", 0, "collect deploys older than `DURATION` (0: no limit)")
	return withSiteClient(func(ctx context.Context, c *cli, sc *site.Client, args []string) error {
		info, err := sc.SetRetention(ctx, args[0], *keep, *maxAge)
		if err != nil {
			return err
		}
		return c.show(info.Retention, func(w io.Writer) {
			fmt.Fprintf(w, "Site %s keeps %d deploys", info.Site, max(info.Retention.Keep, 0))
			if info.Retention.MaxAge > 0 {
				fmt.Fprintf(w, " younger than %s", info.Retention.MaxAge)
			}
			fmt.Fprintln(w, ".")
		})
	})
}
