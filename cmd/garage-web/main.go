// Command garage-web is an S3-compatible, geo-distributed object store.
//
// "garage-web server" runs a node; every other command is a client of the
// node's admin API. Run "garage-web help" for the list of commands.
package main

import (
	"context"
	"io"
	"os"

	"github.com/garage-web/garage-web/internal/buildinfo"
)

// version is the one version string of the binary (internal/buildinfo:
// set by `make build`, else from the Go build information).
var version = buildinfo.Version()

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status: 0 on
// success, 1 when the command failed, 2 when the command line is wrong.
func run(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	inv, err := parse(args)
	if err != nil {
		return reportParseError(err, stdout, stderr)
	}
	c := &cli{opts: inv.opts, getenv: getenv, stdout: stdout, stderr: stderr}
	if err := inv.run(ctx, c, inv.args); err != nil {
		return c.fail(err)
	}
	return 0
}
