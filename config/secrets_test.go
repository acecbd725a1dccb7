package config

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// mustLoadIn returns the default configuration with metadata_dir in a
// fresh temporary directory.
func mustLoadIn(t testing.TB) *Config {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "meta")
	c, err := Load("", envMap(map[string]string{"GARAGE_METADATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEnsureSecretsGeneratesOnceAndStores(t *testing.T) {
	c := mustLoadIn(t)
	if c.AdminToken() != "" {
		t.Fatal("admin token before first start")
	}
	if err := c.EnsureSecrets(); err != nil {
		t.Fatal(err)
	}
	if !isHex(c.RPCSecret, RPCSecretLen) || c.Admin.AdminToken == "" {
		t.Fatalf("secrets not generated: %q %q", c.RPCSecret, c.Admin.AdminToken)
	}
	for _, p := range []string{c.RPCSecretPath(), c.AdminTokenPath()} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
	}

	// A second start, and the CLI, see the same values.
	c2 := mustLoadIn(t)
	c2.MetadataDir = c.MetadataDir
	if got := c2.AdminToken(); got != c.Admin.AdminToken {
		t.Errorf("AdminToken() = %q, want stored %q", got, c.Admin.AdminToken)
	}
	if err := c2.EnsureSecrets(); err != nil {
		t.Fatal(err)
	}
	if c2.RPCSecret != c.RPCSecret || c2.Admin.AdminToken != c.Admin.AdminToken {
		t.Error("second start generated new secrets")
	}
}

func TestEnsureSecretsKeepsConfiguredValues(t *testing.T) {
	c := mustLoadIn(t)
	c.RPCSecret = strings.Repeat("1", 64)
	c.Admin.AdminToken = "given"
	if err := c.EnsureSecrets(); err != nil {
		t.Fatal(err)
	}
	if c.RPCSecret != strings.Repeat("1", 64) || c.AdminToken() != "given" {
		t.Error("configured secrets replaced")
	}
	if _, err := os.Stat(c.MetadataDir); !os.IsNotExist(err) {
		t.Error("metadata_dir created although nothing had to be stored")
	}
}

func TestEnsureSecretsRejectsBadStoredSecret(t *testing.T) {
	c := mustLoadIn(t)
	if err := os.MkdirAll(c.MetadataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.RPCSecretPath(), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := c.EnsureSecrets()
	if err == nil || !strings.Contains(err.Error(), "config: rpc_secret: ") || !strings.Contains(err.Error(), "64 hex") {
		t.Errorf("err = %v", err)
	}
}

func TestEnsureSecretsConcurrentStartsAgree(t *testing.T) {
	base := mustLoadIn(t)
	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := *base
			errs[i] = c.EnsureSecrets()
			got[i] = c.RPCSecret + "/" + c.Admin.AdminToken
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("start %d got %q, start 0 got %q", i, got[i], got[0])
		}
	}
	left, _ := filepath.Glob(filepath.Join(base.MetadataDir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
