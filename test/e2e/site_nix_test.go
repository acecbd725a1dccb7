package e2e

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
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
	// Statistics: narinfo hits and misses, NAR bytes, NARs stored.
	for _, m := range []string{"garageweb_nix_cache_narinfo_requests_total", "garageweb_nix_cache_nar_bytes_total"} {
		if v, ok := n.Metric(t, m); !ok || v == 0 {
			t.Errorf("%s = %v (present %v)", m, v, ok)
		}
	}
	var stats struct {
		Nars int `json:"nars"`
	}
	if err := json.Unmarshal([]byte(n.CLI(t, "nix-cache", "info", "nix-cache", "--json")), &stats); err != nil || stats.Nars < 2 {
		t.Errorf("nix-cache info: %+v %v", stats, err)
	}
}

// TestNixCacheGC: `nix-cache gc` removes a path whose narinfo expired
// (and its NAR), and keeps a pinned path with its closure: substituting
// it still works.
func TestNixCacheGC(t *testing.T) {
	n := startNode(t)
	e := newNixEnv(t, n)
	e.script.Must(t, "setup")
	netrc := filepath.Join(e.dir, "state", "netrc")
	store := filepath.Join(e.dir, "store")
	pub := strings.TrimSpace(n.CLI(t, "nix-cache", "keygen", "nix-cache"))
	old := e.storePath("expires", "radishes\n")
	pinned := e.storePath("pinned", "garlic\n")
	e.nix.Must(t, "--store", store, "copy", "--to", e.cache, "--netrc-file", netrc, old, pinned)
	n.CLI(t, "nix-cache", "pin", "nix-cache", pinned)

	host := strings.TrimPrefix(e.cache, "http://")
	narinfoOf := func(p string) string { return "/" + strings.SplitN(filepath.Base(p), "-", 2)[0] + ".narinfo" }
	oldInfo := n.WebGet(t, host, narinfoOf(old))
	url := regexp.MustCompile(`(?m)^URL: (\S+)$`).FindStringSubmatch(string(oldInfo.Body))
	if oldInfo.Status != 200 || url == nil {
		t.Fatalf("narinfo of %s: %d %q", old, oldInfo.Status, oldInfo.Body)
	}

	dry := n.CLI(t, "nix-cache", "gc", "nix-cache", "--older-than", "0s", "--dry-run", "--json")
	var res struct {
		Narinfos []string `json:"narinfos"`
		Nars     []string `json:"nars"`
		Kept     int      `json:"kept"`
	}
	// The expired path and its own dependency (its notes file) go; the
	// pinned path and its dependency stay.
	if err := json.Unmarshal([]byte(dry), &res); err != nil || len(res.Narinfos) != 2 || !slices.Contains(res.Narinfos, narinfoOf(old)[1:]) ||
		len(res.Nars) != 2 || !slices.Contains(res.Nars, url[1]) || res.Kept != 2 {
		t.Fatalf("gc --dry-run: %v %s", err, dry)
	}
	if r := n.WebGet(t, host, narinfoOf(old)); r.Status != 200 {
		t.Fatalf("--dry-run removed the narinfo: %d", r.Status)
	}
	n.CLI(t, "nix-cache", "gc", "nix-cache", "--older-than", "0s")
	if r := n.WebGet(t, host, narinfoOf(old)); r.Status != 404 {
		t.Errorf("expired narinfo: %d", r.Status)
	}
	if r := n.WebDo(t, "HEAD", host, "/"+url[1], nil); r.Status != 404 {
		t.Errorf("its NAR: %d", r.Status)
	}
	fetch := func(storeName, path string) (string, error) {
		o, errOut, err := e.nix.Run("--store", filepath.Join(e.dir, storeName), "copy", "--from", e.cache,
			"--option", "trusted-public-keys", pub, "--option", "narinfo-cache-positive-ttl", "0",
			"--option", "narinfo-cache-negative-ttl", "0", path)
		return o + errOut, err
	}
	if out, err := fetch("store-pinned", pinned); err != nil {
		t.Fatalf("substituting the pinned path after gc: %v\n%s", err, out)
	}
	if out, err := fetch("store-expired", old); err == nil {
		t.Errorf("the collected path still substitutes:\n%s", out)
	}
}
