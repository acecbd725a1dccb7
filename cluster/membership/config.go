package membership

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/hashicorp/memberlist"
)

// Limits on what a node advertises. The metadata memberlist gossips for a
// node is at most 512 bytes; these keep ours under it (see meta.go).
const (
	// MaxAppMeta is the largest application metadata (Config.Meta).
	MaxAppMeta = 256
	// MaxAddrLen is the longest advertised RPC address.
	MaxAddrLen = 128
	// MaxZoneLen is the longest zone name.
	MaxZoneLen = 64
	// SecretLen is the length of the cluster secret.
	SecretLen = 32
)

// Config describes one node's membership.
type Config struct {
	// ID is this node's id; it is its memberlist name.
	ID cluster.NodeID
	// BindAddr is the UDP host:port gossip packets are received on: the
	// same host:port as the RPC TCP listener.
	BindAddr string
	// AdvertiseAddr is the host:port other nodes reach this one at (the
	// rpc_public_addr). Empty means BindAddr, which must then name a
	// specific IP.
	AdvertiseAddr string
	// Zone is the node's zone, advertised to the others.
	Zone string
	// Secret is the cluster secret, SecretLen bytes; the gossip key is
	// derived from it.
	Secret []byte
	// Dir is where the peers seen are remembered (Dir/peers). Empty
	// remembers nothing.
	Dir string
	// WAN selects memberlist timings for links between sites (20-100 ms
	// apart); production sets it. Without it, timings for one machine
	// (tests).
	WAN bool
	// Log receives memberlist's messages and ours; nil means slog.Default().
	Log *slog.Logger
	// Streams accepts and dials gossip streams on the RPC port.
	Streams StreamTransport
	// Meta returns extra application metadata (at most MaxAppMeta bytes)
	// to advertise, e.g. a layout digest; it may be nil. It is called from
	// memberlist's goroutines, must be safe for concurrent use and must
	// not call back into the Membership.
	Meta func() []byte
	// ReconnectInterval is how often this node tries to join again the
	// members it does not see alive: memberlist forgets a dead node
	// once it stops gossiping to it, so after a partition longer than
	// that neither side would contact the other again. Zero means
	// DefaultReconnectInterval.
	ReconnectInterval time.Duration

	// gossipToTheDead, if set, replaces memberlist's GossipToTheDeadTime
	// (tests: make a failed node forgotten at once).
	gossipToTheDead time.Duration
}

// DefaultReconnectInterval is Config.ReconnectInterval's default.
const DefaultReconnectInterval = 10 * time.Second

func (c *Config) reconnectInterval() time.Duration {
	if c.ReconnectInterval > 0 {
		return c.ReconnectInterval
	}
	return DefaultReconnectInterval
}

func (c *Config) validate() error {
	switch {
	case c.ID.IsZero():
		return fmt.Errorf("%w: no node id", ErrBadConfig)
	case len(c.Secret) != SecretLen:
		return fmt.Errorf("%w: secret is %d bytes, want %d", ErrBadConfig, len(c.Secret), SecretLen)
	case c.Streams == nil:
		return fmt.Errorf("%w: no stream transport", ErrBadConfig)
	case len(c.Zone) > MaxZoneLen:
		return fmt.Errorf("%w: zone %q longer than %d bytes", ErrBadConfig, c.Zone, MaxZoneLen)
	case len(c.advertise()) > MaxAddrLen:
		return fmt.Errorf("%w: advertised address %q longer than %d bytes", ErrBadConfig, c.advertise(), MaxAddrLen)
	}
	if _, _, err := net.SplitHostPort(c.BindAddr); err != nil {
		return fmt.Errorf("%w: bind address %q: %v", ErrBadConfig, c.BindAddr, err)
	}
	if _, _, err := net.SplitHostPort(c.advertise()); err != nil {
		return fmt.Errorf("%w: advertised address %q: %v", ErrBadConfig, c.advertise(), err)
	}
	return nil
}

// advertise returns the address advertised for RPC.
func (c *Config) advertise() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	return c.BindAddr
}

// memberlistConfig starts from memberlist's WAN or local defaults and
// changes what garage-web needs; every change is commented.
func (c *Config) memberlistConfig() *memberlist.Config {
	var mc *memberlist.Config
	if c.WAN {
		// WAN defaults: 3 s probe timeout, suspicion 6 × log(N+1) probe
		// intervals, full state sync every 60 s, gossip every 500 ms.
		mc = memberlist.DefaultWANConfig()
		// Probe every 2 s instead of 5 s: clusters are 3 to 10 nodes, so
		// the extra packets cost nothing, and a dead node is declared in
		// about 6 × log10(N+1) × 2 s ≈ 5-12 s instead of 12-30 s, which
		// bounds how long writes wait on it before the RPC layer gives up.
		mc.ProbeInterval = 2 * time.Second
		// 1.5 s instead of 3 s: ten times the slowest expected RTT
		// (100 ms between sites) plus room for a loaded home uplink, and
		// below ProbeInterval as memberlist requires.
		mc.ProbeTimeout = 1500 * time.Millisecond
	} else {
		// Loopback defaults: 200 ms probe timeout, 1 s probe interval.
		mc = memberlist.DefaultLocalConfig()
	}
	// The memberlist name is the node id: unique, and what "ID@addr"
	// peers are checked against.
	mc.Name = c.ID.String()
	// A node id is a key pair, so a dead node coming back from another
	// address (a home line's new IP, a restart on another port) is the
	// same node: let it reclaim its name at once instead of never (0).
	mc.DeadNodeReclaimTime = time.Millisecond
	// No DNS-over-TCP lookups by memberlist: Join resolves names itself
	// (with the caller's context) and hands memberlist IP addresses.
	mc.DNSConfigPath = ""
	if c.gossipToTheDead > 0 {
		mc.GossipToTheDeadTime = c.gossipToTheDead
	}
	return mc
}
