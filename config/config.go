package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

//go:embed default.toml
var defaultTOML []byte

// Config is a node's configuration. Field comments give the TOML name and
// the default (from default.toml).
type Config struct {
	// metadata_dir: bbolt metadata and the stored secrets. "./data/meta".
	MetadataDir string `toml:"metadata_dir"`
	// data_dir: data blocks. "./data/data".
	DataDir string `toml:"data_dir"`
	// replication_factor: copies of every object, 1..7. 1.
	ReplicationFactor int `toml:"replication_factor"`
	// rpc_bind_addr: host:port the RPC server listens on. "127.0.0.1:3901".
	RPCBindAddr string `toml:"rpc_bind_addr"`
	// rpc_public_addr: host:port other nodes reach this one at. After Load
	// it is never empty: it defaults to RPCBindAddr.
	RPCPublicAddr string `toml:"rpc_public_addr"`
	// rpc_secret: 64 hex characters shared by the cluster. Empty until
	// EnsureSecrets reads or generates <metadata_dir>/rpc_secret.
	RPCSecret string `toml:"rpc_secret"`
	// rpc_secret_file: file holding rpc_secret (Kubernetes/Docker secrets).
	// Load reads it into RPCSecret.
	RPCSecretFile string `toml:"rpc_secret_file"`
	// bootstrap_peers: "<node id>@host:port" or "host:port". Empty.
	BootstrapPeers []string `toml:"bootstrap_peers"`
	// consistency_mode: "consistent" (read and write quorums are majorities
	// of the replicas), "degraded" (reads from one replica) or "dangerous"
	// (reads and writes on one replica). "consistent".
	ConsistencyMode string `toml:"consistency_mode"`
	// block_size: bytes per data block, MinBlockSize..MaxBlockSize. 1 MiB.
	BlockSize ByteSize `toml:"block_size"`
	// block_cache_size: memory for verified blocks that are read again and
	// again (website assets), served without re-reading and re-hashing
	// them. 0 disables it. 8 MiB (blocks up to a quarter of it are
	// cached).
	BlockCacheSize ByteSize `toml:"block_cache_size"`
	// memory_limit: soft limit of the Go runtime's memory (heap, stacks),
	// as runtime/debug.SetMemoryLimit: the garbage collector works
	// harder as the process nears it and returns freed memory to the
	// system, so resident memory stays near it on small machines. It is
	// not a cap: a node that needs more (many large transfers at once)
	// goes over it. 0 disables it; the GOMEMLIMIT environment variable,
	// when set, wins. 48 MiB: with the Go runtime's own overhead and what
	// is outside it, resident anonymous memory stays under 64 MiB during
	// large transfers (docs/benchmarks.md "Space and memory").
	MemoryLimit ByteSize `toml:"memory_limit"`
	// compression_level: 0 (or "none") for none, 1..19 for zstd. 0.
	CompressionLevel CompressionLevel `toml:"compression_level"`

	// Background work (docs/cluster.md "Background work"): anti-entropy,
	// block resync, scrub and garbage collection. It is bounded so that it
	// never starves client requests on an old machine or a home link.

	// resync_tranquility: after each step of block resync or scrub, the
	// worker idles this many times as long as the step took (Garage's
	// name); 0 runs flat out. 2.
	ResyncTranquility int `toml:"resync_tranquility"`
	// background_rate: bytes per second that block resync and scrub may
	// read or send, each; 0: no cap. "8MiB".
	BackgroundRate ByteSize `toml:"background_rate"`
	// anti_entropy_interval: how often every table partition is compared
	// with its other replicas (also done when a node comes back and after a
	// layout change). "10m".
	AntiEntropyInterval Duration `toml:"anti_entropy_interval"`
	// read_lease: the length of the read leases that let a storage node
	// answer reads from its own copy (docs/architecture.md, "Reads take
	// one round trip"); 0 turns them off.
	ReadLease Duration `toml:"read_lease"`
	// scrub_interval: how often every block on disk is re-read and checked.
	// "720h" (30 days).
	ScrubInterval Duration `toml:"scrub_interval"`
	// disable_scrub: no periodic scrub (`garage-web repair scrub` still
	// works). false.
	DisableScrub bool `toml:"disable_scrub"`
	// gc_delay: how long a tombstone (a deleted entry) is kept once every
	// replica holds it, before it is removed everywhere. "24h".
	GCDelay Duration `toml:"gc_delay"`
	// block_gc_delay: how long a block without references stays on disk
	// before it is deleted. "10m".
	BlockGCDelay Duration `toml:"block_gc_delay"`

	S3API S3API `toml:"s3_api"`
	S3Web S3Web `toml:"s3_web"`
	Admin Admin `toml:"admin"`

	// Source is the file the configuration was read from; "" for the
	// embedded default.
	Source string `toml:"-"`
	// Via says how Source was found (see Search); "" when loaded by path.
	Via string `toml:"-"`
	// Warnings lists settings that were accepted but have no effect
	// (Garage settings that garage-web does not use, deprecated names).
	// The server logs them.
	Warnings []string `toml:"-"`
}

// S3API is the [s3_api] section.
type S3API struct {
	// api_bind_addr: host:port of the S3 API. "127.0.0.1:3900".
	APIBindAddr string `toml:"api_bind_addr"`
	// s3_region: region name clients must sign with. "garage".
	S3Region string `toml:"s3_region"`
	// root_domain: suffix for virtual-hosted-style requests. After Load it
	// is empty or starts with ".". ".s3.localhost".
	RootDomain string `toml:"root_domain"`
	// sigv2: accept requests signed with AWS Signature Version 2 (older
	// clients: s3cmd --signature-v2, boto's "s3" signer); false refuses
	// them with AccessDenied. true, as in MinIO.
	SigV2 bool `toml:"sigv2"`
}

// S3Web is the [s3_web] section.
type S3Web struct {
	// bind_addr: host:port of the website endpoint. "127.0.0.1:3902".
	BindAddr string `toml:"bind_addr"`
	// root_domain: websites are served as <bucket><root_domain>. After
	// Load it is empty or starts with ".". ".web.localhost".
	RootDomain string `toml:"root_domain"`
	// nix_cache_gc_interval: how often the Nix caches (buckets with a
	// signing key or a nix-cache-info object) are garbage collected; one
	// node per cache does it. 0: never (`garage-web nix-cache gc` still
	// works). 0.
	NixCacheGCInterval Duration `toml:"nix_cache_gc_interval"`
	// nix_cache_gc_older_than: the scheduled collection removes narinfos
	// neither uploaded nor fetched within this window, then the NARs no
	// remaining narinfo references. "720h" (30 days).
	NixCacheGCOlderThan Duration `toml:"nix_cache_gc_older_than"`
	// access_log: log one line per web request (msg="web request", at
	// info level). false leaves only errors and the metrics. true.
	AccessLog bool `toml:"access_log"`
	// [s3_web.tls]: automatic HTTPS (see tls.go). Off by default.
	TLS WebTLS `toml:"tls"`
}

// Admin is the [admin] section.
type Admin struct {
	// api_bind_addr: host:port of the admin API. "127.0.0.1:3903".
	APIBindAddr string `toml:"api_bind_addr"`
	// admin_token: Bearer token of the admin API. Empty until
	// EnsureSecrets reads or generates <metadata_dir>/admin_token.
	AdminToken string `toml:"admin_token"`
	// admin_token_file: file holding admin_token. Load reads it.
	AdminTokenFile string `toml:"admin_token_file"`
	// metrics_token: Bearer token of /metrics; empty leaves it open.
	MetricsToken string `toml:"metrics_token"`
	// metrics_token_file: file holding metrics_token. Load reads it.
	MetricsTokenFile string `toml:"metrics_token_file"`
}

// Error is a configuration error. Its message is one line:
// "config: <field>: <problem>".
type Error struct {
	Field string // TOML path ("s3_api.api_bind_addr") or env name; may be empty
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "config: " + e.Msg
	}
	return "config: " + e.Field + ": " + e.Msg
}

func errorf(field, format string, args ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// fileConfig is what a file decodes into: Config plus names that are only
// read to be converted.
type fileConfig struct {
	Config
	// replication_mode: Garage 0.9's name for the replication factor.
	ReplicationMode any `toml:"replication_mode"`
}

// Load reads the configuration file at path ("" for the embedded default),
// applies GARAGE_* overrides looked up with env (nil means no
// environment), reads secret files and validates the result.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	var fc fileConfig
	if _, err := toml.NewDecoder(bytes.NewReader(defaultTOML)).Decode(&fc.Config); err != nil {
		return nil, fmt.Errorf("config: embedded default.toml: %w", err) // a build bug
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, &Error{Msg: oneLine(err.Error())}
		}
		if err := fc.decode(data, path); err != nil {
			return nil, err
		}
		fc.Source = path
	}
	c := &fc.Config
	if err := c.applyEnv(env); err != nil {
		return nil, err
	}
	if err := c.readSecretFiles(); err != nil {
		return nil, err
	}
	c.normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decode reads one TOML file over the defaults already in fc.
func (fc *fileConfig) decode(data []byte, path string) error {
	// Decoding over the defaults would append to, not replace, slices.
	fc.BootstrapPeers = nil
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(fc)
	if err != nil {
		return &Error{Msg: path + ": " + oneLine(err.Error())}
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		if w, ok := ignoredSetting(k); ok {
			if w != "" {
				fc.Warnings = append(fc.Warnings, w)
			}
			continue
		}
		unknown = append(unknown, fmt.Sprintf("%q", k.String()))
	}
	switch len(unknown) {
	case 0:
	case 1:
		return &Error{Msg: path + ": unknown setting " + unknown[0]}
	default:
		return &Error{Msg: path + ": unknown settings " + strings.Join(unknown, ", ")}
	}
	if md.IsDefined("replication_mode") {
		if md.IsDefined("replication_factor") {
			return errorf("replication_mode", "cannot be used with replication_factor")
		}
		n, err := replicationMode(fc.ReplicationMode)
		if err != nil {
			return err
		}
		fc.ReplicationFactor = n
		fc.Warnings = append(fc.Warnings,
			fmt.Sprintf("config: replication_mode is deprecated, use replication_factor = %d", n))
	}
	return nil
}

// replicationMode converts Garage 0.9's replication_mode.
func replicationMode(v any) (int, error) {
	s := fmt.Sprint(v)
	switch s {
	case "none", "1":
		return 1, nil
	case "2", "3":
		return int(s[0] - '0'), nil
	}
	return 0, errorf("replication_mode", "%q is not supported (use replication_factor)", s)
}

// normalize fills derived defaults.
func (c *Config) normalize() {
	if c.RPCPublicAddr == "" {
		c.RPCPublicAddr = c.RPCBindAddr
	}
	for _, d := range []*string{&c.S3API.RootDomain, &c.S3Web.RootDomain} {
		if *d != "" && !strings.HasPrefix(*d, ".") && isDomainSuffix("."+*d) {
			*d = "." + *d
		}
	}
}

// maxSecretFileSize bounds what a secret file read may return; secrets
// are tens of bytes.
const maxSecretFileSize = 64 << 10

// readSecretFiles replaces each *_file setting by the file's content.
func (c *Config) readSecretFiles() error {
	for _, p := range c.secretPairs() {
		if *p.file == "" {
			continue
		}
		if *p.value != "" {
			return errorf(p.name, "set together with %s; use one", p.name+"_file")
		}
		s, err := readSecret(*p.file)
		if err != nil {
			return errorf(p.name+"_file", "%s", err)
		}
		*p.value = s
	}
	return nil
}

type secretPair struct {
	name        string // TOML path of the value
	value, file *string
}

func (c *Config) secretPairs() []secretPair {
	return []secretPair{
		{"rpc_secret", &c.RPCSecret, &c.RPCSecretFile},
		{"admin.admin_token", &c.Admin.AdminToken, &c.Admin.AdminTokenFile},
		{"admin.metrics_token", &c.Admin.MetricsToken, &c.Admin.MetricsTokenFile},
	}
}

// readSecret reads a small regular file and trims surrounding space.
func readSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err // a *fs.PathError: "open <path>: <reason>"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretFileSize {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretFileSize)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
