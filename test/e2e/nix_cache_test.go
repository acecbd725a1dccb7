package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nixEnv runs nix and examples/nix-cache/nix-cache.sh against a node with
// private state: its own HOME, Nix caches and stores under a temp dir.
type nixEnv struct {
	t      *testing.T
	n      *Node
	dir    string
	nix    *Tool
	script *Tool
	cache  string // the cache's web URL
}

func newNixEnv(t *testing.T, n *Node) *nixEnv {
	t.Helper()
	nixPath := requireTool(t, "nix", "nix-bin")
	awsPath := requireTool(t, "aws", "awscli")
	requireTool(t, "curl", "curl")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, port, _ := strings.Cut(n.WebAddr, ":")
	_, s3port, _ := strings.Cut(n.S3Addr, ":")
	cache := "http://nix-cache.web.localhost:" + port
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	awsConf := filepath.Join(dir, "aws-config")
	if err := os.WriteFile(awsConf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv(
		"HOME="+home,
		"XDG_CACHE_HOME="+filepath.Join(dir, "xdg-cache"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "xdg-config"),
		"XDG_DATA_HOME="+filepath.Join(dir, "xdg-data"),
		// No daemon, no build users, no substituter on the internet.
		"NIX_CONFIG=experimental-features = nix-command\nbuild-users-group =\nsubstituters =\nconnect-timeout = 5",
		"NIX_REMOTE=",
		"PATH="+filepath.Dir(awsPath)+":"+os.Getenv("PATH"),
		"AWS_CONFIG_FILE="+awsConf,
		"AWS_SHARED_CREDENTIALS_FILE="+awsConf,
		"AWS_PAGER=",
	)
	e := &nixEnv{t: t, n: n, dir: dir, cache: cache}
	e.nix = &Tool{Name: "nix", Path: nixPath, Env: env, Dir: dir}
	e.script = &Tool{
		Name: "nix-cache.sh",
		Path: filepath.Join(root, "examples", "nix-cache", "nix-cache.sh"),
		Env: append(append([]string{}, env...),
			"GARAGE_WEB="+garageBin,
			"GARAGE_CONFIG_FILE="+n.ConfigPath,
			"S3_ENDPOINT=http://127.0.0.1:"+s3port,
			"CACHE_URL="+cache,
			"STATE_DIR="+filepath.Join(dir, "state"),
			"PUBLISH_STORE="+filepath.Join(dir, "store"),
		),
		Dir: dir,
	}
	return e
}

// storePath builds, in the publisher's store, an input-addressed store
// path (so its signature matters: content-addressed paths are trusted
// without one) holding text, with builtin:buildenv (no shell needed).
func (e *nixEnv) storePath(name, text string) string {
	e.t.Helper()
	expr := filepath.Join(e.dir, name+".nix")
	src := fmt.Sprintf(`derivation {
  name = %q;
  system = "builtin";
  builder = "builtin:buildenv";
  derivations = [ ];
  manifest = builtins.toFile "notes.txt" %q;
}
`, name, text)
	if err := os.WriteFile(expr, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	out := e.nix.Must(e.t, "--store", filepath.Join(e.dir, "store"), "build", "--no-link", "--json", "-f", expr)
	var res []struct {
		Outputs map[string]string `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 || res[0].Outputs["out"] == "" {
		e.t.Fatalf("nix build --json: %v: %q", err, out)
	}
	return res[0].Outputs["out"]
}

// fetch copies paths from the cache into a fresh store trusting pubKey.
func (e *nixEnv) fetch(store, pubKey string, paths ...string) (string, error) {
	args := append([]string{"--store", filepath.Join(e.dir, store), "copy", "--from", e.cache,
		"--option", "trusted-public-keys", pubKey}, paths...)
	o, errOut, err := e.nix.Run(args...)
	return o + errOut, err
}

// TestNixCache follows examples/nix-cache with real Nix (Debian nix-bin):
// set up the bucket, key and website with uploads, make a signing key,
// upload one store path with `nix copy --to file://` + `aws s3 sync` and
// another with `nix copy --to http://nix-cache.web.localhost:PORT` (HTTP
// PUT with netrc credentials), then fetch both into fresh stores: with
// the cache's public key it works, with another key it fails on the
// signature.
func TestNixCache(t *testing.T) {
	n := startNode(t)
	e := newNixEnv(t, n)
	e.script.Must(t, "setup")
	pub := strings.TrimSpace(e.script.Must(t, "keygen", "nix-cache.test-1"))
	if !regexp.MustCompile(`^nix-cache\.test-1:[A-Za-z0-9+/=]{44}$`).MatchString(pub) {
		t.Fatalf("keygen printed %q, want a public key", pub)
	}

	viaS3 := e.storePath("garden-notes-s3", "tomatoes are up\n")
	viaHTTP := e.storePath("garden-notes-http", "beans are climbing\n")
	e.script.Must(t, "push-s3", viaS3)
	e.script.Must(t, "push", viaHTTP)

	host := strings.TrimPrefix(e.cache, "http://")
	info := n.WebGet(t, host, "/nix-cache-info")
	if info.Status != 200 || !strings.Contains(string(info.Body), "StoreDir: /nix/store") || info.Header.Get("Content-Type") != "text/x-nix-cache-info" {
		t.Errorf("GET /nix-cache-info: %d %q %q", info.Status, info.Body, info.Header.Get("Content-Type"))
	}
	for _, p := range []string{viaS3, viaHTTP} {
		hash := strings.SplitN(filepath.Base(p), "-", 2)[0]
		r := n.WebGet(t, host, "/"+hash+".narinfo")
		if r.Status != 200 || r.Header.Get("Content-Type") != "text/x-nix-narinfo" || !strings.Contains(string(r.Body), "Sig: nix-cache.test-1:") {
			t.Errorf("GET %s.narinfo: %d %q\n%s", hash, r.Status, r.Header.Get("Content-Type"), r.Body)
			continue
		}
		url := regexp.MustCompile(`(?m)^URL: (\S+)$`).FindStringSubmatch(string(r.Body))
		if url == nil {
			t.Errorf("%s.narinfo has no URL", hash)
			continue
		}
		if r := n.WebDo(t, "HEAD", host, "/"+url[1], nil); r.Status != 200 || r.Header.Get("Content-Type") != "application/x-nix-nar" {
			t.Errorf("HEAD /%s: %d %q", url[1], r.Status, r.Header.Get("Content-Type"))
		}
	}
	// A missing narinfo is a fast 404 (Nix asks for many).
	start := time.Now()
	for i := 0; i < 20; i++ {
		if r := n.WebGet(t, host, fmt.Sprintf("/%032d.narinfo", i)); r.Status != 404 {
			t.Fatalf("missing narinfo: %d, want 404", r.Status)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20 missing narinfos took %v, want well under 2s", d)
	}

	// Wrong credentials cannot upload.
	other := e.storePath("garden-notes-refused", "weeds\n")
	bad := filepath.Join(e.dir, "bad-netrc")
	if err := os.WriteFile(bad, []byte("machine nix-cache.web.localhost login GK000000000000000000000000 password nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := e.nix.Run("--store", filepath.Join(e.dir, "store"), "copy", "--to", e.cache, "--netrc-file", bad, other); err == nil {
		t.Errorf("nix copy with wrong credentials succeeded:\n%s%s", out, errOut)
	}
	if r := n.WebGet(t, host, "/"+strings.SplitN(filepath.Base(other), "-", 2)[0]+".narinfo"); r.Status != 404 {
		t.Errorf("refused upload left a narinfo: %d", r.Status)
	}

	// Another key: both paths are refused for their signature.
	// (a well-formed public key that signed nothing here)
	const wrong = "someone-else-1:wmrUaPmIvlBaBzUFAkCrVIdrV9wiVGB2G3yGKcpiNAo="
	if out, err := e.fetch("store-wrong-key", wrong, viaS3, viaHTTP); err == nil {
		t.Errorf("nix copy --from with the wrong public key succeeded:\n%s", out)
	} else if !strings.Contains(out, "lacks a valid signature") {
		t.Errorf("nix copy --from with the wrong public key failed, but not on the signature:\n%s", out)
	}
	// The right key: both paths arrive intact.
	if out, err := e.fetch("store-right-key", pub, viaS3, viaHTTP); err != nil {
		t.Fatalf("nix copy --from with the cache's public key: %v\n%s", err, out)
	}
	for p, want := range map[string]string{viaS3: "tomatoes are up\n", viaHTTP: "beans are climbing\n"} {
		manifest := filepath.Join(e.dir, "store-right-key", p, "manifest.nix")
		target, err := os.Readlink(manifest)
		if err != nil {
			t.Errorf("%s: %v", manifest, err)
			continue
		}
		got, err := os.ReadFile(filepath.Join(e.dir, "store-right-key", target))
		if err != nil || string(got) != want {
			t.Errorf("%s in the fetched store: %q, %v; want %q", target, got, err, want)
		}
	}
	if v, ok := n.Metric(t, "garageweb_web_requests_total"); !ok || v == 0 {
		t.Errorf("no web requests counted")
	}
}
