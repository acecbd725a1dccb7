package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
	"github.com/garage-web/garage-web/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const cliToken = "cli-test-token"

// harness is an admin API over an in-memory backend, and a way to run
// command lines against it.
type harness struct {
	backend *admintest.Backend
	srv     *httptest.Server
	env     map[string]string
}

func mustHarness(t testing.TB) *harness {
	t.Helper()
	b := admintest.New()
	s, err := admin.NewServer(admin.Options{Backend: b, AdminToken: cliToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &harness{backend: b, srv: srv, env: map[string]string{}}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs a command line, pointing it at the harness with --admin and
// --token.
func (h *harness) run(t testing.TB, args ...string) result {
	t.Helper()
	return h.runRaw(t, append(args, "--admin", h.srv.URL, "--token", cliToken)...)
}

// runRaw runs a command line as it is.
func (h *harness) runRaw(t testing.TB, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }
	code := run(context.Background(), args, env, &stdout, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// mustRun runs a command line that must succeed.
func (h *harness) mustRun(t testing.TB, args ...string) string {
	t.Helper()
	r := h.run(t, args...)
	if r.code != 0 {
		t.Fatalf("%q: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestCLIGolden(t *testing.T) {
	h := mustHarness(t)
	golden(t, "key_create.json.golden", h.mustRun(t, "key", "create", "alice", "--json"))
	h.mustRun(t, "key", "create", "bob")
	h.mustRun(t, "bucket", "create", "photos")
	h.mustRun(t, "bucket", "allow", "--read", "--write", "photos", "--key", "alice")
	h.mustRun(t, "bucket", "allow", "--read", "photos", "--key", "bob")
	h.mustRun(t, "bucket", "website", "--allow", "photos", "--error-document", "404.html")
	golden(t, "key_list.golden", h.mustRun(t, "key", "list"))
	golden(t, "bucket_info.golden", h.mustRun(t, "bucket", "info", "photos"))
}

func TestKeyCreateJSON(t *testing.T) {
	h := mustHarness(t)
	out := h.mustRun(t, "key", "create", "scripted", "--json")
	var k admin.KeyInfo
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if k.AccessKeyID == "" || k.SecretAccessKey == "" || k.Name != "scripted" {
		t.Errorf("key %+v", k)
	}
	// The secret is shown again only when asked for.
	if out := h.mustRun(t, "key", "info", "scripted"); strings.Contains(out, k.SecretAccessKey) {
		t.Error("key info shows the secret")
	}
	if out := h.mustRun(t, "key", "info", "scripted", "--show-secret"); !strings.Contains(out, k.SecretAccessKey) {
		t.Error("key info --show-secret does not show the secret")
	}
}

func TestCLICommands(t *testing.T) {
	h := mustHarness(t)
	h.mustRun(t, "key", "create", "alice")
	h.mustRun(t, "bucket", "create", "site")
	tests := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // whole stderr
	}{
		{[]string{"node", "id"}, 0, strings.Repeat("a1", 32) + "@127.0.0.1:3901\n", ""},
		{[]string{"node", "id", "--json"}, 0, `"rpcPublicAddr": "127.0.0.1:3901"`, ""},
		{[]string{"version"}, 0, "garage-web dev\n", ""},
		{[]string{"key", "allow", "--create-bucket", "alice"}, 0, "can now create buckets", ""},
		{[]string{"key", "info", "alice"}, 0, "Can create buckets: yes", ""},
		{[]string{"key", "deny", "--create-bucket", "alice"}, 0, "can no longer create buckets", ""},
		{[]string{"key", "allow", "alice"}, 2, "", "garage-web: key allow: no permission given (--create-bucket)\nRun 'garage-web help key allow' for usage.\n"},
		{[]string{"key", "rename", "alice", "alicia"}, 0, `to "alicia"`, ""},
		{[]string{"key", "info", "alice"}, 1, "", "garage-web: key alice not found: 'garage-web key list' shows the keys\n"},
		{[]string{"key", "import", "GK0123456789abcdef01234567", "secret", "--name", "old"}, 0, "GK0123456789abcdef01234567", ""},
		{[]string{"key", "import", "GK0123456789abcdef01234567", "secret"}, 1, "", "garage-web: key GK0123456789abcdef01234567 exists already: 'garage-web key info GK0123456789abcdef01234567' shows it\n"},
		{[]string{"bucket", "allow", "site", "--key", "alicia"}, 2, "", "garage-web: bucket allow: no permission given (--read, --write, --owner)\nRun 'garage-web help bucket allow' for usage.\n"},
		{[]string{"bucket", "allow", "site", "--read"}, 2, "", "garage-web: bucket allow: missing --key KEY\nRun 'garage-web help bucket allow' for usage.\n"},
		{[]string{"bucket", "allow", "--owner", "site", "--key", "alicia"}, 0, `Key "alicia" (`, ""},
		{[]string{"bucket", "deny", "--owner", "site", "--key", "alicia"}, 0, "no longer has owner on bucket \"site\"", ""},
		{[]string{"bucket", "allow", "--read", "ghost", "--key", "alicia"}, 1, "", "garage-web: bucket ghost not found: 'garage-web bucket list' shows the buckets\n"},
		{[]string{"bucket", "website", "site"}, 2, "", "garage-web: bucket website: give one of --allow and --deny\nRun 'garage-web help bucket website' for usage.\n"},
		{[]string{"bucket", "website", "--deny", "--index-document", "x", "site"}, 2, "", "garage-web: bucket website: --index-document, --error-document and --uploads go with --allow\nRun 'garage-web help bucket website' for usage.\n"},
		{[]string{"bucket", "website", "--allow", "site"}, 0, "Website access enabled for bucket \"site\" (index document index.html).\n", ""},
		{[]string{"bucket", "info", "site", "--json"}, 0, `"indexDocument": "index.html"`, ""},
		{[]string{"bucket", "website", "--deny", "site"}, 0, "Website access disabled", ""},
		{[]string{"bucket", "list"}, 0, "site", ""},
		{[]string{"bucket", "info", "ghost"}, 1, "", "garage-web: bucket ghost not found: 'garage-web bucket list' shows the buckets\n"},
		{[]string{"bucket", "create", "site"}, 1, "", "garage-web: bucket site exists already: pick another name ('garage-web bucket list' shows the names in use)\n"},
		{[]string{"bucket", "delete", "site"}, 2, "", "garage-web: bucket delete: add --yes to delete bucket \"site\"\nRun 'garage-web help bucket delete' for usage.\n"},
		{[]string{"bucket", "delete", "site", "--yes"}, 0, "Deleted bucket \"site\".\n", ""},
		{[]string{"bucket", "list"}, 0, "No buckets.", ""},
		{[]string{"bucket", "list", "--json"}, 0, "[]\n", ""},
		{[]string{"key", "delete", "alicia"}, 2, "", "garage-web: key delete: add --yes to delete key \"alicia\" (GK"},
		{[]string{"key", "delete", "alicia", "--yes", "--json"}, 0, `"name": "alicia"`, ""},
		{[]string{"key", "list", "--json"}, 0, `"name": "old"`, ""},
	}
	for _, tt := range tests {
		r := h.run(t, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.HasPrefix(r.stderr, tt.stderr) || (tt.stderr == "" && r.stderr != "") {
			t.Errorf("%q: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout containing %q, stderr %q",
				tt.args, r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
}

func TestBucketDeleteNotEmpty(t *testing.T) {
	h := mustHarness(t)
	h.mustRun(t, "bucket", "create", "full")
	b, _ := h.backend.ListBuckets(context.Background())
	if err := h.backend.SetUsage(b[0].ID, 1, 10); err != nil {
		t.Fatal(err)
	}
	r := h.run(t, "bucket", "delete", "full", "--yes")
	if r.code != 1 || r.stderr != "garage-web: bucket full is not empty (1 object); delete them first or use --force ('garage-web bucket delete full --force --yes' deletes them too)\n" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBucketDeleteForce(t *testing.T) {
	h := mustHarness(t)
	h.mustRun(t, "bucket", "create", "full")
	b, _ := h.backend.ListBuckets(context.Background())
	if err := h.backend.SetUsage(b[0].ID, 450, 4500); err != nil {
		t.Fatal(err)
	}
	if r := h.run(t, "bucket", "delete", "full", "--force"); r.code != 2 || !strings.Contains(r.stderr, "add --yes to delete bucket and all its objects") {
		t.Errorf("--force without --yes: exit %d, stderr %q", r.code, r.stderr)
	}
	r := h.run(t, "bucket", "delete", "full", "--force", "--yes")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	// 450 objects in batches of emptyBatch (200): the count after each.
	want := "bucket full: 200 objects deleted\nbucket full: 400 objects deleted\nbucket full: 450 objects deleted\n"
	if r.stderr != want || !strings.Contains(r.stdout, "Deleted bucket") {
		t.Errorf("stdout %q, stderr %q; want progress %q", r.stdout, r.stderr, want)
	}
	if bs, _ := h.backend.ListBuckets(context.Background()); len(bs) != 0 {
		t.Errorf("%d buckets left, want 0", len(bs))
	}
}

// From the directory of a server, the CLI needs no flags: the address is
// in the configuration and the token in <metadata_dir>/admin_token.
func TestCLIFindsLocalNode(t *testing.T) {
	meta := t.TempDir()
	cfg, err := config.Load("", func(k string) (string, bool) {
		return meta, k == "GARAGE_METADATA_DIR"
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.EnsureSecrets(); err != nil { // what "garage-web server" does
		t.Fatal(err)
	}
	b := admintest.New()
	s, _ := admin.NewServer(admin.Options{Backend: b, AdminToken: cfg.Admin.AdminToken, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(s)
	defer srv.Close()

	h := &harness{env: map[string]string{
		"GARAGE_METADATA_DIR":        meta,
		"GARAGE_ADMIN_API_BIND_ADDR": strings.TrimPrefix(srv.URL, "http://"),
	}}
	if r := h.runRaw(t, "bucket", "create", "local"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}

	// The same through a configuration file given after the command.
	conf := filepath.Join(t.TempDir(), "garage.toml")
	toml := "metadata_dir = \"" + meta + "\"\n[admin]\napi_bind_addr = \"" + strings.TrimPrefix(srv.URL, "http://") + "\"\n"
	if err := os.WriteFile(conf, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env = map[string]string{}
	if r := h.runRaw(t, "bucket", "list", "-c", conf); r.code != 0 || !strings.Contains(r.stdout, "local") {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCLIConnectionErrors(t *testing.T) {
	h := &harness{env: map[string]string{"GARAGE_METADATA_DIR": t.TempDir()}}
	r := h.runRaw(t, "key", "list")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "garage-web: no admin token: ") {
		t.Errorf("no token: exit %d, %q", r.code, r.stderr)
	}

	srv := httptest.NewServer(nil)
	addr := srv.URL
	srv.Close() // nothing listens there now
	r = h.runRaw(t, "key", "list", "--admin", addr, "--token", "t")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot reach the admin API at "+addr) ||
		strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("unreachable: exit %d, %q", r.code, r.stderr)
	}

	hh := mustHarness(t)
	r = hh.runRaw(t, "key", "list", "--admin", hh.srv.URL, "--token", "wrong")
	if r.code != 1 || r.stderr != "garage-web: invalid token\n" {
		t.Errorf("wrong token: exit %d, %q", r.code, r.stderr)
	}

	r = h.runRaw(t, "key", "list", "-c", "/nonexistent/garage.toml")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "garage-web: config: open /nonexistent/garage.toml") {
		t.Errorf("bad config: exit %d, %q", r.code, r.stderr)
	}
}

func TestHelpExitsZero(t *testing.T) {
	h := &harness{env: map[string]string{}}
	for _, args := range [][]string{{"help"}, {"-h"}, {"key", "create", "--help"}} {
		r := h.runRaw(t, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: garage-web") || r.stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	r := h.runRaw(t)
	if r.code != 2 || r.stderr != "garage-web: no command given\nRun 'garage-web help' for usage.\n" {
		t.Errorf("no args: exit %d, %q", r.code, r.stderr)
	}
}
