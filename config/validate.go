package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Limits checked by Validate.
const (
	MinReplicationFactor = 1
	MaxReplicationFactor = 7

	MinBlockSize ByteSize = 4 << 10   // below this, per-block overhead dominates
	MaxBlockSize ByteSize = 128 << 20 // blocks are held in memory whole

	MaxCompressionLevel CompressionLevel = 19 // highest zstd level

	// RPCSecretLen is the length of rpc_secret: 32 bytes in hex.
	RPCSecretLen = 64
	// NodeIDLen is the length of a node id in bootstrap_peers: 32 bytes in hex.
	NodeIDLen = 64

	// MinNixCacheGCInterval is the shortest s3_web.nix_cache_gc_interval
	// other than 0: each run lists every cache.
	MinNixCacheGCInterval = time.Minute
	// MinNixCacheGCOlderThan is the shortest s3_web.nix_cache_gc_older_than,
	// so that a typo cannot empty a cache being filled.
	MinNixCacheGCOlderThan = time.Hour
)

// Bounds of read_lease: shorter leases are renewed too often to hold
// across a site's round trip; longer ones stall writes for too long when
// a node is lost.
const (
	MinReadLease = 200 * time.Millisecond
	MaxReadLease = time.Minute
)

// Consistency modes (consistency_mode), as Garage names them.
const (
	ConsistencyConsistent = "consistent"
	ConsistencyDegraded   = "degraded"
	ConsistencyDangerous  = "dangerous"
)

// Validate checks every setting and returns the first problem as an
// *Error. Load calls it; call it again after changing a Config by hand.
func (c *Config) Validate() error {
	if c.MetadataDir == "" {
		return errorf("metadata_dir", "must not be empty")
	}
	if c.DataDir == "" {
		return errorf("data_dir", "must not be empty")
	}
	if c.ReplicationFactor < MinReplicationFactor || c.ReplicationFactor > MaxReplicationFactor {
		return errorf("replication_factor", "must be %d..%d", MinReplicationFactor, MaxReplicationFactor)
	}
	switch c.ConsistencyMode {
	case ConsistencyConsistent, ConsistencyDegraded, ConsistencyDangerous:
	default:
		return errorf("consistency_mode", "%q is not one of consistent, degraded, dangerous", c.ConsistencyMode)
	}
	addrs := []struct {
		field, value string
		optional     bool
	}{
		{"rpc_bind_addr", c.RPCBindAddr, false},
		{"rpc_public_addr", c.RPCPublicAddr, true},
		{"s3_api.api_bind_addr", c.S3API.APIBindAddr, false},
		{"s3_web.bind_addr", c.S3Web.BindAddr, false},
		{"admin.api_bind_addr", c.Admin.APIBindAddr, false},
	}
	for _, a := range addrs {
		if a.optional && a.value == "" {
			continue
		}
		if msg := addrProblem(a.value); msg != "" {
			return errorf(a.field, "%s", msg)
		}
	}
	if c.RPCSecret != "" && !isHex(c.RPCSecret, RPCSecretLen) {
		return errorf("rpc_secret", "must be %d hex characters", RPCSecretLen)
	}
	for i, p := range c.BootstrapPeers {
		if !isPeer(p) {
			return errorf("bootstrap_peers["+strconv.Itoa(i)+"]", "%q is not [<node id>@]host:port", p)
		}
	}
	if c.MemoryLimit < 0 {
		return errorf("memory_limit", "must not be negative")
	}
	if c.BlockCacheSize < 0 {
		return errorf("block_cache_size", "must not be negative")
	}
	if c.BlockSize < MinBlockSize || c.BlockSize > MaxBlockSize {
		return errorf("block_size", "must be %d..%d bytes", MinBlockSize, MaxBlockSize)
	}
	if c.CompressionLevel < 0 || c.CompressionLevel > MaxCompressionLevel {
		return errorf("compression_level", "must be 0 (none) or 1..%d", MaxCompressionLevel)
	}
	if c.ResyncTranquility < 0 || c.ResyncTranquility > 100 {
		return errorf("resync_tranquility", "must be 0..100")
	}
	if c.BackgroundRate < 0 {
		return errorf("background_rate", "must not be negative")
	}
	durations := []struct {
		field string
		value Duration
		min   time.Duration
	}{
		{"anti_entropy_interval", c.AntiEntropyInterval, time.Second},
		{"scrub_interval", c.ScrubInterval, time.Minute},
		{"gc_delay", c.GCDelay, time.Second},
		{"block_gc_delay", c.BlockGCDelay, time.Second},
	}
	for _, d := range durations {
		if d.value.D() < d.min {
			return errorf(d.field, "must be at least %s", d.min)
		}
	}
	if d := c.ReadLease.D(); d != 0 && (d < MinReadLease || d > MaxReadLease) {
		return errorf("read_lease", "must be \"0s\" (off) or from %s to %s", MinReadLease, MaxReadLease)
	}
	if d := c.S3Web.NixCacheGCInterval.D(); d != 0 && d < MinNixCacheGCInterval {
		return errorf("s3_web.nix_cache_gc_interval", "must be 0 (off) or at least %s", MinNixCacheGCInterval)
	}
	if c.S3Web.NixCacheGCOlderThan.D() < MinNixCacheGCOlderThan {
		return errorf("s3_web.nix_cache_gc_older_than", "must be at least %s", MinNixCacheGCOlderThan)
	}
	if c.S3API.S3Region == "" {
		return errorf("s3_api.s3_region", "must not be empty")
	}
	domains := []struct{ field, value string }{
		{"s3_api.root_domain", c.S3API.RootDomain},
		{"s3_web.root_domain", c.S3Web.RootDomain},
	}
	for _, d := range domains {
		if d.value != "" && !isDomainSuffix(d.value) {
			return errorf(d.field, "%q is not a domain such as \".s3.example.com\"", d.value)
		}
	}
	tokens := []struct{ field, value string }{
		{"admin.admin_token", c.Admin.AdminToken},
		{"admin.metrics_token", c.Admin.MetricsToken},
	}
	for _, t := range tokens {
		if !isToken(t.value) {
			return errorf(t.field, "must be printable ASCII without spaces")
		}
	}
	return c.S3Web.TLS.validate()
}

// isHostPort accepts "host:port", "[v6]:port" and ":port" with a numeric
// port; the host may be a name.
func isHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || strings.ContainsAny(host, " /") {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && port != "" && n <= 65535
}

func isPeer(s string) bool {
	if id, addr, ok := strings.Cut(s, "@"); ok {
		return isHex(id, NodeIDLen) && isHostPort(addr)
	}
	return isHostPort(s)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// isDomainSuffix accepts ".example.com": letters, digits, '-', '.', no
// empty label after the leading dot.
func isDomainSuffix(s string) bool {
	rest := strings.TrimPrefix(s, ".")
	if rest == "" || len(rest) > 253 {
		return false
	}
	for label := range strings.SplitSeq(rest, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// isToken accepts what can travel in an Authorization header unchanged.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// addrProblem says, in one phrase, what is wrong with a host:port setting
// ("" when nothing is): a port out of range is named as such.
func addrProblem(s string) string {
	if isHostPort(s) {
		return ""
	}
	if _, port, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.ParseUint(port, 10, 64); err == nil && n > 65535 {
			return fmt.Sprintf("port %s is out of range (0 to 65535) in %q", port, s)
		}
		if port == "" {
			return fmt.Sprintf("%q has no port: use host:port, e.g. 127.0.0.1:3900", s)
		}
	}
	return fmt.Sprintf("%q is not host:port (e.g. 127.0.0.1:3900, [::]:3900)", s)
}
