package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/garage-web/garage-web/admin"
)

func setupNodeID(*flag.FlagSet) runFunc {
	return withClient(func(ctx context.Context, c *cli, cl *admin.Client, _ []string) error {
		info, err := cl.NodeInfo(ctx)
		if err != nil {
			return err
		}
		return c.show(info, func(w io.Writer) { fmt.Fprintf(w, "%s@%s\n", info.NodeID, info.RPCPublicAddr) })
	})
}

func setupVersion(*flag.FlagSet) runFunc {
	return func(_ context.Context, c *cli, _ []string) error {
		v := struct {
			Version string `json:"version"`
		}{version}
		return c.show(v, func(w io.Writer) { fmt.Fprintf(w, "garage-web %s\n", version) })
	}
}
