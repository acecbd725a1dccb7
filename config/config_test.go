package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mustWrite writes a file under a test directory and returns its path.
func mustWrite(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// envMap is an env function over a map.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefault(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		MetadataDir:         "./data/meta",
		DataDir:             "./data/data",
		ReplicationFactor:   1,
		RPCBindAddr:         "127.0.0.1:3901",
		RPCPublicAddr:       "127.0.0.1:3901",
		BootstrapPeers:      []string{},
		ConsistencyMode:     "consistent",
		BlockSize:           1 << 20,
		BlockCacheSize:      8 << 20,
		MemoryLimit:         48 << 20,
		ResyncTranquility:   2,
		BackgroundRate:      8 << 20,
		AntiEntropyInterval: Duration(10 * time.Minute),
		ReadLease:           Duration(2 * time.Second),
		ScrubInterval:       Duration(720 * time.Hour),
		GCDelay:             Duration(24 * time.Hour),
		BlockGCDelay:        Duration(10 * time.Minute),
		S3API:               S3API{APIBindAddr: "127.0.0.1:3900", S3Region: "garage", RootDomain: ".s3.localhost", SigV2: true},
		S3Web:               S3Web{BindAddr: "127.0.0.1:3902", RootDomain: ".web.localhost", NixCacheGCOlderThan: Duration(720 * time.Hour), AccessLog: true},
		Admin:               Admin{APIBindAddr: "127.0.0.1:3903"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load(\"\") =\n%+v\nwant\n%+v", c, want)
	}
}

// A configuration from Garage's quick-start guide loads, with warnings for
// what garage-web does not use.
func TestLoadGarageQuickStart(t *testing.T) {
	p := mustWrite(t, "garage.toml", `
metadata_dir = "/tmp/meta"
data_dir = "/tmp/data"
db_engine = "sqlite"

replication_factor = 3

rpc_bind_addr = "[::]:3901"
rpc_public_addr = "127.0.0.1:3901"
rpc_secret = "1799bccfd7411eddcf9ebd316bc1f5287ad12a68094e1c6ac6abde7e6feae1ec"

[s3_api]
s3_region = "garage"
api_bind_addr = "[::]:3900"
root_domain = ".s3.garage.localhost"

[s3_web]
bind_addr = "[::]:3902"
root_domain = ".web.garage.localhost"
index = "index.html"

[k2v_api]
api_bind_addr = "[::]:3904"

[admin]
api_bind_addr = "[::]:3903"
admin_token = "W9nQbFmLEWZL8c5Ij4UnGLKj9nDSZaIt2vJa/rtP7ps="
metrics_token = "b1dTGlQQjTgHGeNTR6vOeMRDhV7UbGTYjW8Yzxyh3wA="
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ReplicationFactor != 3 || c.S3API.APIBindAddr != "[::]:3900" || c.Source != p {
		t.Errorf("got %+v", c)
	}
	if len(c.Warnings) != 3 {
		t.Errorf("warnings = %q, want db_engine, s3_web.index and [k2v_api]", c.Warnings)
	}
}

func TestLoadFile(t *testing.T) {
	secretFile := mustWrite(t, "secret", "  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n")
	tests := []struct {
		name  string
		toml  string
		check func(*Config) bool
	}{
		{"block size integer", "block_size = 65536", func(c *Config) bool { return c.BlockSize == 65536 }},
		{"block size MiB", `block_size = "10MiB"`, func(c *Config) bool { return c.BlockSize == 10<<20 }},
		{"block size M is decimal", `block_size = "1M"`, func(c *Config) bool { return c.BlockSize == 1e6 }},
		{"compression none", `compression_level = "none"`, func(c *Config) bool { return c.CompressionLevel == 0 }},
		{"compression level", `compression_level = 3`, func(c *Config) bool { return c.CompressionLevel == 3 }},
		{"public addr given", `rpc_public_addr = "10.0.0.1:3901"`, func(c *Config) bool { return c.RPCPublicAddr == "10.0.0.1:3901" }},
		{"root domain gets a dot", "[s3_api]\nroot_domain = \"s3.example.com\"", func(c *Config) bool { return c.S3API.RootDomain == ".s3.example.com" }},
		{"sigv2 off", "[s3_api]\nsigv2 = false", func(c *Config) bool { return !c.S3API.SigV2 }},
		{"web access log off", "[s3_web]\naccess_log = false", func(c *Config) bool { return !c.S3Web.AccessLog }},
		{"root domain may be empty", "[s3_web]\nroot_domain = \"\"", func(c *Config) bool { return c.S3Web.RootDomain == "" }},
		{"nix cache gc", "[s3_web]\nnix_cache_gc_interval = \"24h\"\nnix_cache_gc_older_than = \"2160h\"", func(c *Config) bool {
			return c.S3Web.NixCacheGCInterval.D() == 24*time.Hour && c.S3Web.NixCacheGCOlderThan.D() == 90*24*time.Hour
		}},
		{"nix cache gc interval alone", "[s3_web]\nnix_cache_gc_interval = 3600", func(c *Config) bool {
			return c.S3Web.NixCacheGCInterval.D() == time.Hour && c.S3Web.NixCacheGCOlderThan.D() == 720*time.Hour
		}},
		{"peers", `bootstrap_peers = ["` + strings.Repeat("ab", 32) + `@10.0.0.2:3901", "node3:3901"]`,
			func(c *Config) bool { return len(c.BootstrapPeers) == 2 }},
		{"replication_mode", `replication_mode = "3"`, func(c *Config) bool { return c.ReplicationFactor == 3 && len(c.Warnings) == 1 }},
		{"replication_mode none", `replication_mode = "none"`, func(c *Config) bool { return c.ReplicationFactor == 1 }},
		{"secret file", `rpc_secret_file = "` + secretFile + `"`, func(c *Config) bool { return c.RPCSecret == strings.Repeat("a", 64) }},
		{"unset keys keep defaults", "[admin]\nmetrics_token = \"m\"", func(c *Config) bool {
			return c.Admin.APIBindAddr == "127.0.0.1:3903" && c.Admin.MetricsToken == "m" && c.DataDir == "./data/data"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(mustWrite(t, "c.toml", tt.toml), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, toml string
		want       string // the whole message after "config: " and the file name
	}{
		{"unknown key", "foo = 1", `unknown setting "foo"`},
		{"unknown keys", "foo = 1\n[admin]\nbar = 2", `unknown settings "foo", "admin.bar"`},
		{"syntax", "metadata_dir = ", "toml: line 1"},
		{"wrong type", `replication_factor = "three"`, `incompatible types`},
		{"bad rf", "replication_factor = 0", "replication_factor: must be 1..7"},
		{"rf too large", "replication_factor = 8", "replication_factor: must be 1..7"},
		{"bad consistency mode", `consistency_mode = "eventual"`, `consistency_mode: "eventual" is not one of consistent, degraded, dangerous`},
		{"bad bind", "[s3_api]\napi_bind_addr = \"abc\"", `s3_api.api_bind_addr: "abc" is not host:port`},
		{"bad port", "rpc_bind_addr = \"127.0.0.1:99999\"", `rpc_bind_addr: port 99999 is out of range (0 to 65535)`},
		{"bad secret", `rpc_secret = "abc"`, "rpc_secret: must be 64 hex characters"},
		{"secret not hex", `rpc_secret = "` + strings.Repeat("z", 64) + `"`, "rpc_secret: must be 64 hex characters"},
		{"secret and file", `rpc_secret = "` + strings.Repeat("a", 64) + "\"\nrpc_secret_file = \"/x\"", "rpc_secret: set together with rpc_secret_file"},
		{"missing secret file", `rpc_secret_file = "/nonexistent/secret"`, "rpc_secret_file: open /nonexistent/secret"},
		{"secret file is a dir", `rpc_secret_file = "/"`, "rpc_secret_file: / is not a regular file"},
		{"bad peer", `bootstrap_peers = ["nothex@1.2.3.4:3901"]`, `bootstrap_peers[0]: "nothex@1.2.3.4:3901" is not`},
		{"small block", "block_size = 100", "block_size: must be 4096..134217728 bytes"},
		{"bad size string", `block_size = "lots"`, `"lots" is not a size`},
		{"bad compression", "compression_level = 20", "compression_level: must be 0 (none) or 1..19"},
		{"bad compression string", `compression_level = "max"`, `"max" is not an integer or "none"`},
		{"empty dir", `metadata_dir = ""`, "metadata_dir: must not be empty"},
		{"empty region", "[s3_api]\ns3_region = \"\"", "s3_api.s3_region: must not be empty"},
		{"bad domain", "[s3_web]\nroot_domain = \"http://x\"", `s3_web.root_domain: "http://x" is not a domain`},
		{"nix gc interval too short", "[s3_web]\nnix_cache_gc_interval = \"10s\"", "s3_web.nix_cache_gc_interval: must be 0 (off) or at least 1m0s"},
		{"nix gc window too short", "[s3_web]\nnix_cache_gc_older_than = \"5m\"", "s3_web.nix_cache_gc_older_than: must be at least 1h0m0s"},
		{"nix gc window zero", "[s3_web]\nnix_cache_gc_older_than = 0", "s3_web.nix_cache_gc_older_than: must be at least 1h0m0s"},
		{"token with space", "[admin]\nadmin_token = \"a b\"", "admin.admin_token: must be printable ASCII"},
		{"replication_mode and factor", "replication_mode = \"3\"\nreplication_factor = 3", "replication_mode: cannot be used with replication_factor"},
		{"dangerous mode", `replication_mode = "3-dangerous"`, `replication_mode: "3-dangerous" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(mustWrite(t, "c.toml", tt.toml), nil)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line", msg)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"), nil)
	if err == nil || !strings.Contains(err.Error(), "none.toml") {
		t.Errorf("err = %v, want it to name the file", err)
	}
}
