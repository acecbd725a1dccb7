package cluster

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/garage-web/garage-web/config"
)

// nodeConfig is the garage-web TOML file of one node, with Garage's key
// names. Only what the cluster tests vary is here; everything else keeps
// the binary's defaults.
type nodeConfig struct {
	MetadataDir       string `toml:"metadata_dir"`
	DataDir           string `toml:"data_dir"`
	ReplicationFactor int    `toml:"replication_factor"`
	// ConsistencyMode is "consistent" (the default, left out when empty),
	// "degraded" or "dangerous".
	ConsistencyMode string   `toml:"consistency_mode,omitempty"`
	RPCBindAddr     string   `toml:"rpc_bind_addr"`
	RPCPublicAddr   string   `toml:"rpc_public_addr,omitempty"`
	RPCSecret       string   `toml:"rpc_secret"`
	BootstrapPeers  []string `toml:"bootstrap_peers"`

	// Background work; empty (nil) keeps the binary's default. Durations in
	// Go syntax ("2s"), background_rate as a byte size ("64MiB").
	AntiEntropyInterval string `toml:"anti_entropy_interval,omitempty"`
	GCDelay             string `toml:"gc_delay,omitempty"`
	BlockGCDelay        string `toml:"block_gc_delay,omitempty"`
	ScrubInterval       string `toml:"scrub_interval,omitempty"`
	ResyncTranquility   *int   `toml:"resync_tranquility,omitempty"`
	BackgroundRate      string `toml:"background_rate,omitempty"`
	// ReadLease is read_lease ("0s" turns read leases off); empty keeps
	// the binary's default.
	ReadLease string `toml:"read_lease,omitempty"`

	S3API struct {
		APIBindAddr string `toml:"api_bind_addr"`
		S3Region    string `toml:"s3_region"`
		RootDomain  string `toml:"root_domain"`
	} `toml:"s3_api"`
	S3Web struct {
		BindAddr   string `toml:"bind_addr"`
		RootDomain string `toml:"root_domain"`
	} `toml:"s3_web"`
	Admin struct {
		APIBindAddr string `toml:"api_bind_addr"`
		AdminToken  string `toml:"admin_token"`
	} `toml:"admin"`
}

// render is the TOML text of c.
func (c *nodeConfig) render() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintln(&b, "# written by test/cluster; rewritten on every config change")
	if c.BootstrapPeers == nil {
		c.BootstrapPeers = []string{}
	}
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return nil, fmt.Errorf("render node config: %w", err)
	}
	return b.Bytes(), nil
}

// write renders c into path atomically (a node restarting reads either the
// old or the new file, never half of one).
func (c *nodeConfig) write(path string) error {
	data, err := c.render()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write node config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write node config: %w", err)
	}
	return nil
}

// TestRenderConfig checks that a rendered node config is read back by the
// binary's own config package with every value the harness set.
func TestRenderConfig(t *testing.T) {
	dir := t.TempDir()
	c := nodeConfig{
		MetadataDir:       filepath.Join(dir, "meta"),
		DataDir:           filepath.Join(dir, "data"),
		ReplicationFactor: 3,
		ConsistencyMode:   "degraded",
		RPCBindAddr:       "127.0.0.5:3901",
		RPCPublicAddr:     "127.0.0.5:4901",
		RPCSecret:         strings.Repeat("ab", 32),
		BootstrapPeers:    []string{strings.Repeat("0f", 32) + "@127.0.0.6:3901"},

		AntiEntropyInterval: "3s",
		GCDelay:             "4s",
		BlockGCDelay:        "5s",
		ScrubInterval:       "6m",
		ResyncTranquility:   new(int),
		BackgroundRate:      "64MiB",
		ReadLease:           "3s",
	}
	c.S3API.APIBindAddr = "127.0.0.5:3900"
	c.S3API.S3Region = s3Region
	c.S3API.RootDomain = s3RootDomain
	c.S3Web.BindAddr = "127.0.0.5:3902"
	c.S3Web.RootDomain = webRootDomain
	c.Admin.APIBindAddr = "127.0.0.5:3903"
	c.Admin.AdminToken = "tok"
	path := filepath.Join(dir, "n.toml")
	if err := c.write(path); err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(path, nil)
	if err != nil {
		raw, _ := os.ReadFile(path)
		t.Fatalf("config.Load of the rendered file: %v\n%s", err, raw)
	}
	checks := []struct{ name, got, want string }{
		{"metadata_dir", got.MetadataDir, c.MetadataDir},
		{"data_dir", got.DataDir, c.DataDir},
		{"rpc_bind_addr", got.RPCBindAddr, c.RPCBindAddr},
		{"rpc_public_addr", got.RPCPublicAddr, c.RPCPublicAddr},
		{"rpc_secret", got.RPCSecret, c.RPCSecret},
		{"bootstrap_peers", strings.Join(got.BootstrapPeers, ","), strings.Join(c.BootstrapPeers, ",")},
		{"s3_api.api_bind_addr", got.S3API.APIBindAddr, c.S3API.APIBindAddr},
		{"s3_api.s3_region", got.S3API.S3Region, s3Region},
		{"s3_api.root_domain", got.S3API.RootDomain, s3RootDomain},
		{"s3_web.bind_addr", got.S3Web.BindAddr, c.S3Web.BindAddr},
		{"s3_web.root_domain", got.S3Web.RootDomain, webRootDomain},
		{"admin.api_bind_addr", got.Admin.APIBindAddr, c.Admin.APIBindAddr},
		{"admin.admin_token", got.Admin.AdminToken, "tok"},
		{"replication_factor", fmt.Sprint(got.ReplicationFactor), "3"},
		{"anti_entropy_interval", got.AntiEntropyInterval.String(), "3s"},
		{"gc_delay", got.GCDelay.String(), "4s"},
		{"block_gc_delay", got.BlockGCDelay.String(), "5s"},
		{"scrub_interval", got.ScrubInterval.String(), "6m0s"},
		{"resync_tranquility", fmt.Sprint(got.ResyncTranquility), "0"},
		{"background_rate", fmt.Sprint(int64(got.BackgroundRate)), fmt.Sprint(64 << 20)},
		{"read_lease", got.ReadLease.String(), "3s"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	// consistency_mode: the single-node binary accepts it (with a warning);
	// the integrated one reads it. Either way the file must decode.
	var back nodeConfig
	if _, err := toml.DecodeFile(path, &back); err != nil {
		t.Fatal(err)
	}
	if back.ConsistencyMode != "degraded" {
		t.Errorf("consistency_mode round trip: %q", back.ConsistencyMode)
	}
	c.ConsistencyMode = ""
	data, err := c.render()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("consistency_mode")) {
		t.Errorf("empty consistency_mode must be left out (default consistent):\n%s", data)
	}
	t.Logf("rendered config read back by config.Load: %d fields checked", len(checks))
}
