package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestNixCacheServerSigning: `nix copy --to http://…` with write access
// only (no signing key on the pusher), then a client trusting only the
// server's public key (`garage-web nix-cache info`) substitutes the path.
func TestNixCacheServerSigning(t *testing.T) {
	n := startNode(t)
	e := newNixEnv(t, n)
	e.script.Must(t, "setup")
	netrc := filepath.Join(e.dir, "state", "netrc")
	store := filepath.Join(e.dir, "store")

	before := e.storePath("pushed-before-the-key", "carrots\n")
	e.nix.Must(t, "--store", store, "copy", "--to", e.cache, "--netrc-file", netrc, before)

	pub := strings.TrimSpace(n.CLI(t, "nix-cache", "keygen", "nix-cache"))
	if !strings.HasPrefix(pub, "nix-cache-1:") {
		t.Fatalf("keygen printed %q", pub)
	}
	var info struct {
		PublicKey string `json:"publicKey"`
	}
	if err := json.Unmarshal([]byte(n.CLI(t, "nix-cache", "info", "nix-cache", "--json")), &info); err != nil || info.PublicKey != pub {
		t.Fatalf("nix-cache info: %+v %v", info, err)
	}

	after := e.storePath("pushed-after-the-key", "leeks\n")
	e.nix.Must(t, "--store", store, "copy", "--to", e.cache, "--netrc-file", netrc, after)

	const wrong = "someone-else-1:wmrUaPmIvlBaBzUFAkCrVIdrV9wiVGB2G3yGKcpiNAo="
	if out, err := e.fetch("store-wrong", wrong, before); err == nil {
		t.Errorf("substitution trusting another key succeeded:\n%s", out)
	}
	// The pusher's own narinfo disk cache holds what it uploaded (unsigned):
	// a substituter elsewhere has none, so this one must not use it.
	args := []string{"--store", filepath.Join(e.dir, "store-right"), "copy", "--from", e.cache,
		"--option", "trusted-public-keys", pub, "--option", "narinfo-cache-positive-ttl", "0", before, after}
	if o, errOut, err := e.nix.Run(args...); err != nil {
		out := o + errOut
		t.Fatalf("substitution trusting the server's key: %v\n%s", err, out)
	}
	hash := strings.SplitN(filepath.Base(after), "-", 2)[0]
	host := strings.TrimPrefix(e.cache, "http://")
	if r := n.WebGet(t, host, "/"+hash+".narinfo"); strings.Count(string(r.Body), "Sig: nix-cache-1:") != 1 {
		t.Errorf("narinfo as served:\n%s", r.Body)
	}
}
