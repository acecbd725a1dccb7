package config

import (
	"strings"
	"testing"
)

func TestEnvName(t *testing.T) {
	for path, want := range map[string]string{
		"rpc_secret":           "GARAGE_RPC_SECRET",
		"data_dir":             "GARAGE_DATA_DIR",
		"s3_api.api_bind_addr": "GARAGE_S3_API_API_BIND_ADDR",
		"s3_web.root_domain":   "GARAGE_S3_WEB_ROOT_DOMAIN",
		"admin.admin_token":    "GARAGE_ADMIN_ADMIN_TOKEN",
	} {
		if got := EnvName(path); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	secret := strings.Repeat("0f", 32)
	secretFile := mustWrite(t, "s", secret+"\n")
	tokenFile := mustWrite(t, "t", "file-token\n")
	tests := []struct {
		name  string
		file  string // TOML; "" = embedded default
		env   map[string]string
		check func(*Config) bool
	}{
		{"top level string", "", map[string]string{"GARAGE_DATA_DIR": "/srv/data"},
			func(c *Config) bool { return c.DataDir == "/srv/data" }},
		{"top level int", "", map[string]string{"GARAGE_REPLICATION_FACTOR": "3"},
			func(c *Config) bool { return c.ReplicationFactor == 3 }},
		{"byte size", "", map[string]string{"GARAGE_BLOCK_SIZE": "2MiB"},
			func(c *Config) bool { return c.BlockSize == 2<<20 }},
		{"compression", "", map[string]string{"GARAGE_COMPRESSION_LEVEL": "none"},
			func(c *Config) bool { return c.CompressionLevel == 0 }},
		{"list", "", map[string]string{"GARAGE_BOOTSTRAP_PEERS": "a:1, b:2,"},
			func(c *Config) bool { return len(c.BootstrapPeers) == 2 && c.BootstrapPeers[1] == "b:2" }},
		{"section", "", map[string]string{"GARAGE_S3_API_API_BIND_ADDR": "0.0.0.0:9000", "GARAGE_S3_WEB_ROOT_DOMAIN": ".w.example"},
			func(c *Config) bool {
				return c.S3API.APIBindAddr == "0.0.0.0:9000" && c.S3Web.RootDomain == ".w.example"
			}},
		{"env beats file", "data_dir = \"/file\"", map[string]string{"GARAGE_DATA_DIR": "/env"},
			func(c *Config) bool { return c.DataDir == "/env" }},
		{"public addr follows env bind addr", "", map[string]string{"GARAGE_RPC_BIND_ADDR": "10.1.1.1:3901"},
			func(c *Config) bool { return c.RPCPublicAddr == "10.1.1.1:3901" }},
		{"secret", "", map[string]string{"GARAGE_RPC_SECRET": secret},
			func(c *Config) bool { return c.RPCSecret == secret }},
		{"secret file", "", map[string]string{"GARAGE_RPC_SECRET_FILE": secretFile},
			func(c *Config) bool { return c.RPCSecret == secret }},
		{"env secret replaces file's secret file", "rpc_secret_file = \"/nonexistent\"", map[string]string{"GARAGE_RPC_SECRET": secret},
			func(c *Config) bool { return c.RPCSecret == secret && c.RPCSecretFile == "" }},
		{"env secret file replaces file's secret", "[admin]\nadmin_token = \"x\"", map[string]string{"GARAGE_ADMIN_ADMIN_TOKEN_FILE": tokenFile},
			func(c *Config) bool { return c.Admin.AdminToken == "file-token" }},
		{"admin token", "", map[string]string{"GARAGE_ADMIN_ADMIN_TOKEN": "tok"},
			func(c *Config) bool { return c.Admin.AdminToken == "tok" }},
		{"garage alias", "", map[string]string{"GARAGE_ADMIN_TOKEN": "tok", "GARAGE_METRICS_TOKEN": "met"},
			func(c *Config) bool { return c.Admin.AdminToken == "tok" && c.Admin.MetricsToken == "met" }},
		{"garage-web name beats alias", "", map[string]string{"GARAGE_ADMIN_TOKEN": "alias", "GARAGE_ADMIN_ADMIN_TOKEN": "name"},
			func(c *Config) bool { return c.Admin.AdminToken == "name" }},
		{"garage alias file", "", map[string]string{"GARAGE_ADMIN_TOKEN_FILE": tokenFile},
			func(c *Config) bool { return c.Admin.AdminToken == "file-token" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = mustWrite(t, "c.toml", tt.file)
			}
			c, err := Load(path, envMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GARAGE_REPLICATION_FACTOR": "three"}, `config: GARAGE_REPLICATION_FACTOR: "three" is not an integer`},
		{map[string]string{"GARAGE_REPLICATION_FACTOR": "9"}, "config: replication_factor: must be 1..7"},
		{map[string]string{"GARAGE_BLOCK_SIZE": "big"}, `config: GARAGE_BLOCK_SIZE: "big" is not a size`},
		{map[string]string{"GARAGE_RPC_SECRET": "short"}, "config: rpc_secret: must be 64 hex characters"},
		{map[string]string{"GARAGE_ADMIN_API_BIND_ADDR": "nope"}, `config: admin.api_bind_addr: "nope" is not host:port`},
		{map[string]string{"GARAGE_RPC_SECRET": "a", "GARAGE_RPC_SECRET_FILE": "/b"}, "config: GARAGE_RPC_SECRET: set together with GARAGE_RPC_SECRET_FILE"},
		{map[string]string{"GARAGE_RPC_SECRET_FILE": "/nonexistent"}, "config: rpc_secret_file: open /nonexistent"},
	}
	for _, tt := range tests {
		_, err := Load("", envMap(tt.env))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("env %v: err = %v, want %q", tt.env, err, tt.want)
		}
	}
}
