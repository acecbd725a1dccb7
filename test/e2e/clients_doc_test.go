package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestClientsDoc runs docs/clients.md: every fenced block is marked
// "test:ID" (one ID per client) and is run against a real node with the
// node's address and a real key put in place of the page's placeholders,
// so that the page cannot drift from what works. Fence words:
//
//	test:ID         the client the block belongs to (blocks of one ID run
//	                together, in page order, "setup" first)
//	file:PATH       the block is a file written to PATH (~ = $HOME) first
//	expect:B/KEY    after the client ran, object KEY exists in bucket B
//
// Blocks without file: are run by language: sh with bash, python with
// /usr/bin/python3 (Debian's boto3), go built inside this module; the
// synapse block's settings drive examples/matrix-media/provider_calls.py.
func TestClientsDoc(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(root, "docs", "clients.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseDocBlocks(string(page))
	if err != nil {
		t.Fatal(err)
	}
	ids := docClientIDs(blocks)
	for _, want := range []string{"setup", "aws", "rclone", "s3cmd", "restic", "boto3", "minio-go", "synapse", "nix"} {
		if !slices.Contains(ids, want) {
			t.Errorf("docs/clients.md has no block marked test:%s", want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	n := startNode(t)
	e := newDocEnv(t, n, root)
	e.runClient(t, "setup", blocksOf(blocks, "setup"))
	e.key = docKey(t, n, "laptop")
	_, webPort, _ := net.SplitHostPort(n.WebAddr)
	e.subst = strings.NewReplacer(
		"http://127.0.0.1:3900", n.S3URL(),
		"127.0.0.1:3900", n.S3Addr,
		"web.localhost:3902", "web.localhost:"+webPort,
		"GK_YOUR_KEY_ID", e.key.ID,
		"YOUR_SECRET_KEY", e.key.Secret,
	)
	for _, id := range ids {
		if id == "setup" {
			continue
		}
		t.Run(id, func(t *testing.T) { e.runClient(t, id, blocksOf(blocks, id)) })
	}
}

// docBlock is one fenced block of the page.
type docBlock struct {
	line   int // of the opening fence
	lang   string
	id     string   // test:ID
	file   string   // file:PATH, "" for commands
	expect []string // expect:BUCKET/KEY
	body   string
}

// parseDocBlocks returns the fenced blocks of a Markdown page; every one
// must carry a test: word.
func parseDocBlocks(page string) ([]docBlock, error) {
	var out []docBlock
	var cur *docBlock
	var body strings.Builder
	sc := bufio.NewScanner(strings.NewReader(page))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if !strings.HasPrefix(text, "```") {
			if cur != nil {
				body.WriteString(text + "\n")
			}
			continue
		}
		if cur != nil {
			cur.body = body.String()
			out = append(out, *cur)
			cur = nil
			continue
		}
		words := strings.Fields(strings.TrimPrefix(text, "```"))
		b := docBlock{line: line}
		for i, w := range words {
			k, v, _ := strings.Cut(w, ":")
			switch {
			case i == 0 && !strings.Contains(w, ":"):
				b.lang = w
			case k == "test":
				b.id = v
			case k == "file":
				b.file = v
			case k == "expect":
				b.expect = append(b.expect, v)
			default:
				return nil, fmt.Errorf("docs/clients.md:%d: unknown fence word %q", line, w)
			}
		}
		if b.id == "" {
			return nil, fmt.Errorf("docs/clients.md:%d: a block without test:ID is not tested; mark it", line)
		}
		cur = &b
		body.Reset()
	}
	if cur != nil {
		return nil, fmt.Errorf("docs/clients.md:%d: block never closed", cur.line)
	}
	return out, sc.Err()
}

// docClientIDs lists the test IDs in page order.
func docClientIDs(blocks []docBlock) []string {
	var ids []string
	for _, b := range blocks {
		if !slices.Contains(ids, b.id) {
			ids = append(ids, b.id)
		}
	}
	return ids
}

func blocksOf(blocks []docBlock, id string) []docBlock {
	var out []docBlock
	for _, b := range blocks {
		if b.id == id {
			out = append(out, b)
		}
	}
	return out
}

// docEnv is the user's machine the page talks about: a home directory,
// a working directory holding notes.txt, the garage-web CLI on PATH
// finding the node through $GARAGE_CONFIG.
type docEnv struct {
	n     *Node
	root  string // module root
	home  string
	work  string
	env   []string
	key   Key
	subst *strings.Replacer
}

func newDocEnv(t *testing.T, n *Node, root string) *docEnv {
	t.Helper()
	home := t.TempDir()
	work := filepath.Join(home, "work")
	bin := filepath.Join(home, "bin")
	for _, d := range []string{work, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(garageBin, filepath.Join(bin, "garage-web")); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range cleanEnv() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GARAGE_") || strings.HasPrefix(k, "RESTIC_") || strings.HasPrefix(k, "XDG_") ||
			strings.HasPrefix(k, "NIX_") || k == "HOME" || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"PATH="+bin+":"+os.Getenv("PATH"),
		"GARAGE_CONFIG="+n.ConfigPath,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		// Nix as root without a daemon, in a private store, offline.
		"NIX_CONFIG=experimental-features = nix-command\nbuild-users-group =\nsubstituters =\nconnect-timeout = 5\nstore = "+filepath.Join(home, "nix-store"),
		"NIX_REMOTE=",
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1",
	)
	return &docEnv{n: n, root: root, home: home, work: work, env: env, subst: strings.NewReplacer()}
}

// runClient writes the client's files, runs its commands and checks the
// objects it should have stored.
func (e *docEnv) runClient(t *testing.T, id string, blocks []docBlock) {
	t.Helper()
	var script strings.Builder
	lang := ""
	for _, b := range blocks {
		body := e.subst.Replace(b.body)
		if b.file != "" {
			e.writeFile(t, b.file, body)
			continue
		}
		if lang != "" && b.lang != lang {
			t.Fatalf("docs/clients.md:%d: test:%s mixes %s and %s command blocks", b.line, id, lang, b.lang)
		}
		lang = b.lang
		comment := "#"
		if lang == "go" {
			comment = "//"
		}
		fmt.Fprintf(&script, "%s docs/clients.md:%d\n%s", comment, b.line, body)
	}
	switch {
	case id == "synapse":
		if lang == "sh" { // its bucket
			e.run(t, id, "bash", "-euo", "pipefail", "-c", script.String())
		}
		e.runSynapse(t, blocks)
	case lang == "sh":
		for _, tool := range docTools[id] {
			requireTool(t, tool[0], tool[1])
		}
		e.run(t, id, "bash", "-euo", "pipefail", "-c", script.String())
	case lang == "python":
		// Not named after the client: boto3.py would shadow boto3.
		path := filepath.Join(e.home, "snippet-"+id+".py")
		e.writeFile(t, path, script.String())
		e.run(t, id, pythonForBoto3, path)
	case lang == "go":
		e.runGo(t, id, script.String())
	default:
		t.Fatalf("test:%s: no command block (language %q)", id, lang)
	}
	for _, b := range blocks {
		for _, want := range b.expect {
			bucket, key, _ := strings.Cut(want, "/")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			_, err := e.n.S3(e.key).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			cancel()
			if err != nil {
				t.Errorf("docs/clients.md:%d: after test:%s, %s: %v", b.line, id, want, err)
			}
		}
	}
}

// docTools are the binaries each shell client needs, with their Debian
// package (.ci/run installs them).
var docTools = map[string][][2]string{
	"aws":    {{"aws", "awscli"}},
	"rclone": {{"rclone", "rclone"}},
	"s3cmd":  {{"s3cmd", "s3cmd"}},
	"restic": {{"restic", "restic"}},
	"nix":    {{"nix", "nix-bin"}},
}

func (e *docEnv) writeFile(t *testing.T, path, body string) {
	t.Helper()
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		path = filepath.Join(e.home, rest)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (e *docEnv) run(t *testing.T, id, path string, args ...string) string {
	t.Helper()
	tl := &Tool{Name: id, Path: path, Env: e.env, Dir: e.work}
	out, errOut, err := tl.Run(args...)
	if err != nil {
		t.Fatalf("test:%s: %v\nstdout:\n%s\nstderr:\n%s", id, err, clip(out), clip(errOut))
	}
	return out
}

// runGo builds a Go snippet inside this module (for its go.mod) and runs
// it in the working directory.
func (e *docEnv) runGo(t *testing.T, id, src string) {
	t.Helper()
	base := filepath.Join(e.root, "test", "e2e", ".tmp")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(base, "clientsdoc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(e.home, id)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./"+filepath.Join("test", "e2e", ".tmp", filepath.Base(dir)))
	build.Dir = e.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("test:%s: go build of the snippet: %v\n%s", id, err, out)
	}
	e.run(t, id, bin)
}

// runSynapse makes the provider's calls with the settings of the page's
// homeserver.yaml block.
func (e *docEnv) runSynapse(t *testing.T, blocks []docBlock) {
	t.Helper()
	var yaml string
	for _, b := range blocks {
		if b.lang == "yaml" {
			yaml = e.subst.Replace(b.body)
		}
	}
	settings := map[string]string{}
	inConfig := false
	for _, line := range strings.Split(yaml, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "config:" {
			inConfig = true
			continue
		}
		if k, v, ok := strings.Cut(trimmed, ": "); ok && inConfig {
			settings[k] = v
		}
		if strings.HasPrefix(trimmed, "- module: ") && strings.TrimPrefix(trimmed, "- module: ") != "s3_storage_provider.S3StorageProviderBackend" {
			t.Errorf("synapse block: module %q", trimmed)
		}
	}
	for _, k := range []string{"bucket", "region_name", "endpoint_url", "access_key_id", "secret_access_key"} {
		if settings[k] == "" {
			t.Fatalf("synapse block: no %s under config: (%v)", k, settings)
		}
	}
	if _, err := os.Stat(pythonForBoto3); err != nil {
		t.Fatalf("%s missing: install python3-boto3 (.ci/run installs it)", pythonForBoto3)
	}
	tl := &Tool{
		Name: "provider_calls.py",
		Path: pythonForBoto3,
		Env: append(cleanEnv(),
			"GW_ENDPOINT="+settings["endpoint_url"],
			"AWS_ACCESS_KEY_ID="+settings["access_key_id"],
			"AWS_SECRET_ACCESS_KEY="+settings["secret_access_key"],
			"AWS_DEFAULT_REGION="+settings["region_name"],
			"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
			"AWS_EC2_METADATA_DISABLED=true", "PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1"),
	}
	script := filepath.Join(e.root, "examples", "matrix-media", "provider_calls.py")
	out, errOut, err := tl.Run(script, settings["bucket"], t.TempDir())
	if err != nil || !strings.Contains(out, "MATRIX MEDIA OK") {
		t.Fatalf("provider_calls.py with the synapse settings: %v\nstdout:\n%s\nstderr:\n%s", err, clip(out), clip(errOut))
	}
}

// docKey reads the key the setup block made.
func docKey(t *testing.T, n *Node, name string) Key {
	t.Helper()
	var k struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	out := n.CLI(t, "key", "info", name, "--show-secret", "--json")
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.SecretAccessKey == "" {
		t.Fatalf("key info %s --json: %v %q", name, err, out)
	}
	return Key{ID: k.AccessKeyID, Secret: k.SecretAccessKey}
}

func TestParseDocBlocks(t *testing.T) {
	page := "text\n```sh test:a expect:b/k\necho 1\n```\n\n```ini test:a file:~/.x\n[x]\n```\n"
	blocks, err := parseDocBlocks(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].lang != "sh" || blocks[0].body != "echo 1\n" || blocks[0].expect[0] != "b/k" ||
		blocks[1].file != "~/.x" || blocks[1].line != 6 {
		t.Fatalf("%+v", blocks)
	}
	if _, err := parseDocBlocks("```sh\necho untested\n```\n"); err == nil {
		t.Error("a block without test: was accepted")
	}
	if _, err := parseDocBlocks("```sh test:a\necho\n"); err == nil {
		t.Error("an unclosed block was accepted")
	}
}
