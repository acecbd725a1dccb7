package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad checks that Load never panics and that its errors are single
// lines starting with "config: ".
func FuzzLoad(f *testing.F) {
	f.Add(defaultTOML)
	f.Add([]byte("replication_factor = 3\n[s3_api]\napi_bind_addr = \"[::]:3900\"\n"))
	f.Add([]byte(`block_size = "10MiB"` + "\ncompression_level = \"none\"\n"))
	f.Add([]byte("block_size = [1, 2]\ncompression_level = 1.5\n"))
	f.Add([]byte("replication_mode = 3\n[k2v_api]\nx = 1\n"))
	f.Add([]byte("bootstrap_peers = [1]\n[admin]\nadmin_token = 3\n"))
	f.Add([]byte("[[data_dir]]\npath = \"/a\"\n"))
	f.Add([]byte("block_size = \"99999999999999999999G\""))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// Keep the fuzzer away from reading arbitrary files.
		if strings.Contains(string(data), "_file") {
			return
		}
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p, nil)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "config: ") || strings.Contains(msg, "\n") {
				t.Fatalf("bad error message %q", msg)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load returned an invalid config: %v", err)
		}
	})
}
