package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// runFunc runs a command with its positional arguments. Its flags were
// bound by the command's setup function.
type runFunc func(ctx context.Context, c *cli, args []string) error

// command is one subcommand.
type command struct {
	name string // words after "garage-web": "key create"
	// args are the positional arguments, for usage: "NAME". A last
	// argument ending in "..." may be repeated: "NODE...".
	args    string
	nargs   int // number of positional arguments (the minimum, with "...")
	summary string
	// setup defines the command's own flags on fs and returns the function
	// that runs the command with them.
	setup func(fs *flag.FlagSet) runFunc
}

// commands is the whole command line, in the order of the usage text.
func commands() []command {
	return []command{
		{"server", "", 0, "run the node (S3 API, website endpoint, admin API)", setupServer},
		{"status", "", 0, "show the cluster's nodes: zone, capacity, partitions, data, up or down", setupStatus},
		{"node id", "", 0, "print the node's ID@ADDR, for bootstrap_peers", setupNodeID},
		{"node connect", "ID@ADDR...", 1, "connect this node to other nodes", setupNodeConnect},
		{"version", "", 0, "print the version of this binary", setupVersion},

		{"layout show", "", 0, "show the applied layout, the staged changes and what applying them would do", setupLayoutShow},
		{"layout assign", "NODE...", 1, "stage a role for nodes: -z ZONE with --capacity SIZE or --gateway", setupLayoutAssign},
		{"layout remove", "NODE...", 1, "stage the removal of nodes from the layout", setupLayoutRemove},
		{"layout config", "", 0, "stage a new replication factor (-r N)", setupLayoutConfig},
		{"layout apply", "", 0, "apply the staged changes as layout --version N", setupLayoutApply},
		{"layout revert", "", 0, "discard the staged changes", setupLayoutRevert},
		{"layout history", "", 0, "list the layout versions", setupLayoutHistory},

		{"repair blocks", "", 0, "recount block references and fetch or hand over blocks (needs --yes; --wait)", setupRepair("blocks")},
		{"repair tables", "", 0, "sync every table partition with its other replicas (needs --yes; --wait)", setupRepair("tables")},
		{"repair scrub", "", 0, "re-read and check every block, repair corrupted ones (needs --yes; --wait)", setupRepair("scrub")},
		{"repair status", "", 0, "show the repairs running or done, resync queue and scrub totals", setupRepairStatus},

		{"key create", "NAME", 1, "create an access key and print its secret", setupKeyCreate},
		{"key list", "", 0, "list access keys", setupKeyList},
		{"key info", "KEY", 1, "show an access key and its buckets", setupKeyInfo},
		{"key rename", "KEY NEWNAME", 2, "rename an access key", setupKeyRename},
		{"key allow", "KEY", 1, "grant a cluster permission (--create-bucket) to a key", setupKeyAllow},
		{"key deny", "KEY", 1, "revoke a cluster permission (--create-bucket) from a key", setupKeyDeny},
		{"key import", "ID SECRET", 2, "import an access key made elsewhere", setupKeyImport},
		{"key delete", "KEY", 1, "delete an access key (needs --yes)", setupKeyDelete},

		{"bucket create", "NAME", 1, "create a bucket", setupBucketCreate},
		{"bucket list", "", 0, "list buckets", setupBucketList},
		{"bucket info", "BUCKET", 1, "show a bucket, its keys and its usage", setupBucketInfo},
		{"bucket allow", "BUCKET", 1, "grant --read/--write/--owner on a bucket to --key KEY", setupBucketAllow},
		{"bucket deny", "BUCKET", 1, "revoke --read/--write/--owner on a bucket from --key KEY", setupBucketDeny},
		{"bucket website", "BUCKET", 1, "serve a bucket as a website (--allow) or stop (--deny)", setupBucketWebsite},
		{"bucket delete", "BUCKET", 1, "delete a bucket (needs --yes; --force deletes its objects first)", setupBucketDelete},
		{"bucket alias", "BUCKET NAME", 2, "give a bucket another global name (a custom domain)", setupBucketAlias},
		{"bucket unalias", "BUCKET NAME", 2, "remove a global name of a bucket", setupBucketUnalias},

		{"site deploy", "DIR SITE", 2, "deploy a directory to a site: changed files only, then one atomic switch", setupSiteDeploy},
		{"site deploys", "SITE", 1, "list a site's deploys, newest first", setupSiteDeploys},
		{"site publish", "SITE ID", 2, "make a deploy live", setupSitePublish},
		{"site rollback", "SITE [ID]", 1, "make an earlier deploy live again (default: the one live before)", setupSiteRollback},
		{"site domain add", "SITE DOMAIN", 2, "serve a site under a custom domain too", setupSiteDomainAdd},
		{"site domain remove", "SITE DOMAIN", 2, "remove a custom domain of a site", setupSiteDomainRemove},
		{"site domain list", "SITE", 1, "list a site's custom domains", setupSiteDomainList},
		{"site retention", "SITE", 1, "set how many (--keep) and how old (--max-age) deploys a site keeps", setupSiteRetention},

		{"nix-cache keygen", "BUCKET", 1, "give a Nix cache a new signing key (narinfos are signed when served); prints the public key", setupNixCacheKeygen},
		{"nix-cache set-key", "BUCKET FILE", 2, "give a Nix cache the secret key in FILE (nix key generate-secret)", setupNixCacheSetKey},
		{"nix-cache info", "BUCKET", 1, "print a Nix cache's public key", setupNixCacheInfo},
		{"nix-cache pin", "BUCKET STOREPATH", 2, "keep a store path and its closure through nix-cache gc", setupNixCachePin},
		{"nix-cache unpin", "BUCKET STOREPATH", 2, "stop pinning a store path", setupNixCacheUnpin},
		{"nix-cache gc", "BUCKET", 1, "remove narinfos unused for --older-than AGE and the NARs nothing references (--dry-run)", setupNixCacheGC},
	}
}

// options are the flags every command accepts, before or after its name.
type options struct {
	config string // -c: configuration file
	admin  string // --admin: admin API address
	token  string // --token: admin token
	json   bool   // --json: machine-readable output
	// version: --version before any command, as "garage-web version".
	version bool
}

func addCommonFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.config, "c", o.config, "configuration `FILE` (default: $GARAGE_CONFIG, else ./garage-web.toml, else /etc/garage-web.toml, else the built-in default)")
	fs.StringVar(&o.config, "config", o.config, "same as -c")
	fs.StringVar(&o.admin, "admin", o.admin, "admin API address `ADDR` (default: admin.api_bind_addr of the configuration)")
	fs.StringVar(&o.token, "token", o.token, "admin `TOKEN` (default: admin.admin_token, else <metadata_dir>/admin_token)")
	fs.BoolVar(&o.json, "json", o.json, "print JSON instead of text")
}

// invocation is a parsed command line.
type invocation struct {
	cmd  *command
	args []string // positional arguments
	opts options
	run  runFunc
}

// Errors of parse and of commands that are about the command line.
type (
	// helpRequest asks for text on stdout and exit status 0.
	helpRequest struct{ text string }
	// usageError is a wrong command line: exit status 2.
	usageError struct {
		msg  string
		help string // the help command to suggest
	}
)

func (h *helpRequest) Error() string { return "help requested" }
func (e *usageError) Error() string  { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), help: "garage-web help"}
}

// parse turns a command line into an invocation.
func parse(args []string) (*invocation, error) {
	var o options
	global := newFlagSet("garage-web")
	addCommonFlags(global, &o)
	global.BoolVar(&o.version, "version", false, "print the version and exit")
	if err := global.Parse(args); err != nil {
		return nil, flagError(err, "", usageText)
	}
	words := global.Args()
	if len(words) == 0 {
		if o.version {
			return &invocation{cmd: versionCommand(), opts: o, run: setupVersion(nil)}, nil
		}
		return nil, usageErrorf("no command given")
	}
	if words[0] == "help" {
		text, err := helpFor(words[1:])
		if err != nil {
			return nil, err
		}
		return nil, &helpRequest{text: text}
	}
	cmd, rest, err := findCommand(words)
	if err != nil {
		return nil, err
	}
	fs := newFlagSet("garage-web " + cmd.name)
	addCommonFlags(fs, &o)
	run := cmd.setup(fs)
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return nil, flagError(err, cmd.name, func() string { return commandHelp(cmd) })
	}
	if len(pos) < cmd.nargs || len(pos) > cmd.nargs && !cmd.variadic() {
		return nil, &usageError{
			msg:  fmt.Sprintf("%s: %s", cmd.name, argsProblem(cmd, pos)),
			help: "garage-web help " + cmd.name,
		}
	}
	return &invocation{cmd: cmd, args: pos, opts: o, run: run}, nil
}

// versionCommand is the "version" command, which --version runs.
func versionCommand() *command {
	cmds := commands()
	for i := range cmds {
		if cmds[i].name == "version" {
			return &cmds[i]
		}
	}
	panic("no version command") // a bug in commands()
}

// variadic reports whether the last argument may be repeated (or, for
// "[ID]", is optional).
func (c *command) variadic() bool {
	return strings.HasSuffix(c.args, "...") || strings.HasSuffix(c.args, "]")
}

func argsProblem(cmd *command, pos []string) string {
	switch {
	case len(pos) < cmd.nargs:
		return "missing " + strings.TrimSuffix(strings.Fields(cmd.args)[len(pos)], "...")
	case cmd.nargs == 0:
		return fmt.Sprintf("unexpected argument %q", pos[0])
	default:
		return fmt.Sprintf("unexpected argument %q after %s", pos[cmd.nargs], cmd.args)
	}
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by run
	return fs
}

// flagError converts an error of flag parsing for the command cmdName
// ("" before the command).
func flagError(err error, cmdName string, help func() string) error {
	if errors.Is(err, flag.ErrHelp) {
		return &helpRequest{text: help()}
	}
	if cmdName == "" {
		return usageErrorf("%s", err)
	}
	return &usageError{msg: cmdName + ": " + err.Error(), help: "garage-web help " + cmdName}
}

// parseInterspersed parses flags anywhere among the positional arguments
// ("key create NAME --json"); everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// findCommand matches the longest command name at the start of words.
func findCommand(words []string) (*command, []string, error) {
	cmds := commands()
	for i := range cmds {
		name := strings.Fields(cmds[i].name)
		if len(words) >= len(name) && slices.Equal(words[:len(name)], name) {
			return &cmds[i], words[len(name):], nil
		}
	}
	if isGroup(words[0]) {
		if len(words) == 1 || strings.HasPrefix(words[1], "-") {
			return nil, nil, &usageError{msg: fmt.Sprintf("missing %s command", words[0]), help: "garage-web help " + words[0]}
		}
		return nil, nil, &usageError{msg: fmt.Sprintf("unknown command %q", words[0]+" "+words[1]), help: "garage-web help " + words[0]}
	}
	return nil, nil, usageErrorf("unknown command %q", words[0])
}

// isGroup reports whether word starts several commands ("key").
func isGroup(word string) bool {
	for _, c := range commands() {
		if first, _, ok := strings.Cut(c.name, " "); ok && first == word {
			return true
		}
	}
	return false
}

// helpFor is the text of "garage-web help [WORDS]".
func helpFor(words []string) (string, error) {
	if len(words) == 0 {
		return usageText(), nil
	}
	if cmd, rest, err := findCommand(words); err == nil && len(rest) == 0 {
		return commandHelp(cmd), nil
	}
	if len(words) == 1 && isGroup(words[0]) {
		var b bytes.Buffer
		fmt.Fprintf(&b, "Usage: garage-web %s <command> [arguments] [flags]\n\nCommands:\n", words[0])
		writeCommandList(&b, words[0])
		fmt.Fprintf(&b, "\nRun 'garage-web help %s <command>' for the flags of a command.\n", words[0])
		return b.String(), nil
	}
	return "", usageErrorf("no help for %q: unknown command", strings.Join(words, " "))
}

// commandHelp is the usage of one command, with its own flags.
func commandHelp(cmd *command) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Usage: garage-web %s", cmd.name)
	if cmd.args != "" {
		fmt.Fprintf(&b, " %s", cmd.args)
	}
	fmt.Fprintf(&b, " [flags]\n\n%s.\n\n", capitalize(cmd.summary))
	own := newFlagSet("garage-web " + cmd.name)
	cmd.setup(own)
	own.SetOutput(&b)
	if hasFlags(own) {
		b.WriteString("Flags:\n")
		own.PrintDefaults()
		b.WriteString("\n")
	}
	b.WriteString("Also -c FILE, --admin ADDR, --token TOKEN and --json, as for every command.\n")
	return b.String()
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func usageText() string {
	var b bytes.Buffer
	b.WriteString(`Usage: garage-web [-c FILE] <command> [arguments] [flags]

garage-web is an S3-compatible, geo-distributed object store. "garage-web
server" runs a node; the other commands manage a node through its admin
API. Both read the same configuration file, the first of: -c FILE,
$GARAGE_CONFIG, ./garage-web.toml, /etc/garage-web.toml; else the built-in
default (a node started with "make run": run the CLI from its directory).
The server's banner says how the CLI finds it.

Commands:
`)
	writeCommandList(&b, "")
	b.WriteString(`
Flags accepted by every command, before or after it:
  -c FILE        configuration file (default: $GARAGE_CONFIG, ./garage-web.toml,
                 /etc/garage-web.toml, else built-in)
  --admin ADDR   admin API address (default: admin.api_bind_addr)
  --token TOKEN  admin token (default: admin.admin_token or the stored token)
  --json         print JSON instead of text
  --version      print the version (same as 'garage-web version')

Configuration settings can also be given as GARAGE_* environment variables
(GARAGE_ADMIN_API_BIND_ADDR, GARAGE_ADMIN_ADMIN_TOKEN, ...).

Run 'garage-web help <command>' for the flags of a command.
`)
	return b.String()
}

// writeCommandList lists the commands whose name starts with group ("" = all).
func writeCommandList(w io.Writer, group string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		if group != "" && !strings.HasPrefix(c.name, group+" ") {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	tw.Flush()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reportParseError prints what parse returned and gives the exit status.
func reportParseError(err error, stdout, stderr io.Writer) int {
	var h *helpRequest
	if errors.As(err, &h) {
		fmt.Fprint(stdout, h.text)
		return 0
	}
	var u *usageError
	if errors.As(err, &u) {
		fmt.Fprintf(stderr, "garage-web: %s\nRun '%s' for usage.\n", u.msg, u.help)
		return 2
	}
	fmt.Fprintf(stderr, "garage-web: %s\n", err)
	return 1
}
