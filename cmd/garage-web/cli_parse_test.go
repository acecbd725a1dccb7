package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		cmd  string
		pos  []string
		opts options
	}{
		{[]string{"server"}, "server", nil, options{}},
		{[]string{"key", "list"}, "key list", nil, options{}},
		{[]string{"-c", "g.toml", "key", "list"}, "key list", nil, options{config: "g.toml"}},
		{[]string{"key", "list", "-c", "g.toml"}, "key list", nil, options{config: "g.toml"}},
		{[]string{"key", "list", "--config=g.toml"}, "key list", nil, options{config: "g.toml"}},
		{[]string{"-c", "a.toml", "key", "list", "-c", "b.toml"}, "key list", nil, options{config: "b.toml"}},
		{[]string{"key", "create", "alice", "--json"}, "key create", []string{"alice"}, options{json: true}},
		{[]string{"--json", "key", "create", "alice"}, "key create", []string{"alice"}, options{json: true}},
		{[]string{"key", "info", "--show-secret", "alice"}, "key info", []string{"alice"}, options{}},
		{[]string{"key", "import", "GK1", "s3cr3t", "--name", "imp"}, "key import", []string{"GK1", "s3cr3t"}, options{}},
		{[]string{"key", "rename", "old", "new"}, "key rename", []string{"old", "new"}, options{}},
		{[]string{"key", "delete", "--yes", "--", "-odd-name"}, "key delete", []string{"-odd-name"}, options{}},
		{[]string{"node", "id", "--admin", "127.0.0.1:3903", "--token", "t"}, "node id", nil, options{admin: "127.0.0.1:3903", token: "t"}},
		{[]string{"bucket", "allow", "--read", "photos", "--key", "alice", "--write"}, "bucket allow", []string{"photos"}, options{}},
		{[]string{"bucket", "website", "--allow", "site", "--index-document", "i.html"}, "bucket website", []string{"site"}, options{}},
		{[]string{"bucket", "delete", "photos", "--yes", "--json"}, "bucket delete", []string{"photos"}, options{json: true}},
		{[]string{"layout", "assign", "-z", "dc1", "--capacity", "1T", "a1", "b2", "--tag", "x"}, "layout assign", []string{"a1", "b2"}, options{}},
		{[]string{"layout", "apply", "--version", "3"}, "layout apply", nil, options{}},
		{[]string{"node", "connect", "id1@h:1", "id2@h:2"}, "node connect", []string{"id1@h:1", "id2@h:2"}, options{}},
		{[]string{"status", "--json"}, "status", nil, options{json: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			inv, err := parse(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if inv.cmd.name != tt.cmd || !slices.Equal(inv.args, tt.pos) || inv.opts != tt.opts {
				t.Errorf("got %q %q %+v, want %q %q %+v", inv.cmd.name, inv.args, inv.opts, tt.cmd, tt.pos, tt.opts)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // usage error message; "" for a help request
	}{
		{nil, "no command given"},
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"key"}, "missing key command"},
		{[]string{"key", "--json"}, "missing key command"},
		{[]string{"key", "frob"}, `unknown command "key frob"`},
		{[]string{"key", "create"}, "key create: missing NAME"},
		{[]string{"key", "import", "GK1"}, "key import: missing SECRET"},
		{[]string{"key", "create", "a", "b"}, `key create: unexpected argument "b" after NAME`},
		{[]string{"key", "list", "x"}, `key list: unexpected argument "x"`},
		{[]string{"key", "create", "--nope", "a"}, "key create: flag provided but not defined: -nope"},
		{[]string{"--nope", "key", "list"}, "flag provided but not defined: -nope"},
		{[]string{"key", "list", "-c"}, "key list: flag needs an argument: -c"},
		{[]string{"layout", "remove"}, "layout remove: missing NODE"},
		{[]string{"layout", "apply", "--version", "x"}, `layout apply: invalid value "x" for flag -version`},
		{[]string{"layout"}, "missing layout command"},
		{[]string{"help", "layout", "assign"}, ""},
		{[]string{"help", "frob"}, `no help for "frob"`},
		{[]string{"help"}, ""},
		{[]string{"-h"}, ""},
		{[]string{"--help"}, ""},
		{[]string{"help", "key"}, ""},
		{[]string{"help", "bucket", "website"}, ""},
		{[]string{"key", "list", "-h"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parse(tt.args)
			var h *helpRequest
			var u *usageError
			switch {
			case tt.want == "":
				if !errors.As(err, &h) || h.text == "" {
					t.Errorf("err = %v, want a help request", err)
				}
			case !errors.As(err, &u):
				t.Errorf("err = %v, want a usage error", err)
			case u.msg != tt.want && !strings.HasPrefix(u.msg, tt.want):
				t.Errorf("message %q, want %q", u.msg, tt.want)
			}
		})
	}
}

// Every command has help and a summary, and every group is listed.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		text, err := helpFor(strings.Fields(c.name))
		if err != nil || !strings.Contains(text, "Usage: garage-web "+c.name) || c.summary == "" {
			t.Errorf("%s: help %q, %v", c.name, text, err)
		}
		if !strings.Contains(usageText(), c.name) {
			t.Errorf("%s missing from the usage text", c.name)
		}
	}
}

func TestAdminURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:3903":         "http://127.0.0.1:3903",
		"0.0.0.0:3903":           "http://127.0.0.1:3903",
		":3903":                  "http://127.0.0.1:3903",
		"[::]:3903":              "http://[::1]:3903",
		"node1.example:3903":     "http://node1.example:3903",
		"https://admin.example/": "https://admin.example",
		"http://10.0.0.1:3903":   "http://10.0.0.1:3903",
		"no-port":                "",
		"http://":                "",
	} {
		got, err := adminURL(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("adminURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
