package cluster

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestIdentityCreatedOnceThenLoaded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "meta") // does not exist yet
	first, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID.IsZero() || len(first.Key) != ed25519.PrivateKeySize {
		t.Fatalf("bad identity %v", first.ID)
	}
	if first.ID != NodeIDOf(first.Key.Public().(ed25519.PublicKey)) {
		t.Fatal("id is not the public key")
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	second, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || !second.Key.Equal(first.Key) {
		t.Fatal("identity changed across loads")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
}

func TestIdentityIgnoresOldNodeIDFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "node_id"), []byte("0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateIdentity(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "node_id")); string(b) != "0123456789abcdef" {
		t.Fatal("node_id touched")
	}
}

func TestIdentityCorruptFileIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":   "not a key at all",
		"empty":     "",
		"wrongtype": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"truncated": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw\n-----END PRIVATE KEY-----\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFile)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateIdentity(dir)
			if err == nil || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("got %v, want a corrupt-file error", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Fatal("corrupt key file was overwritten")
			}
		})
	}
}

func TestIdentityConcurrentFirstStartsAgree(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	ids := make([]NodeID, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := LoadOrCreateIdentity(dir)
			ids[i], errs[i] = id.ID, err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("starts disagree: %v vs %v", ids[i], ids[0])
		}
	}
}
