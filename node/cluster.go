package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/cluster/membership"
	"github.com/garage-web/garage-web/cluster/rpc"
	"github.com/garage-web/garage-web/config"
	"github.com/garage-web/garage-web/table/crdt"
)

// clusterNode is the node's part in a cluster: its identity, the RPC
// server and client, gossip membership and the layout.
type clusterNode struct {
	cfg    *config.Config
	log    *slog.Logger
	ident  cluster.Identity
	layout *layoutState
	rpcSrv *rpc.Server
	rpcCli *rpc.Client
	peers  *rpc.Peers
	// members is set once Run started gossip; nil before.
	members atomic.Pointer[membership.Membership]
	// writes counts the table writes in flight per layout version; kick
	// wakes the loop that advances this node's trackers; syncer pulls and
	// hands over partitions (nil on a node without tables yet).
	writes *writesInFlight
	kick   chan struct{}
	syncer partitionSync
	// onPeerUp are called when a peer comes up (or back): anti-entropy
	// and block resync look at once.
	onPeerUp []func()
	// onLayout and onMembers are called after the layout or the set of
	// live nodes changed (metrics, caches).
	onLayout, onMembers func()
	// leaseLayout caches whether read leases apply (lease.go).
	leaseLayout atomic.Pointer[leaseLayout]
}

func newClusterNode(cfg *config.Config, log *slog.Logger, clock *crdt.Clock, reg prometheus.Registerer) (*clusterNode, error) {
	ident, err := cluster.LoadOrCreateIdentity(cfg.MetadataDir)
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(cfg.RPCSecret)
	if err != nil {
		return nil, fmt.Errorf("rpc_secret: %w", err)
	}
	c := &clusterNode{cfg: cfg, log: log, ident: ident, writes: newWritesInFlight(), kick: make(chan struct{}, 1), onLayout: func() {}, onMembers: func() {}}
	if c.layout, err = openLayout(cfg.MetadataDir, cfg.ReplicationFactor); err != nil {
		return nil, err
	}
	c.layout.onChange = c.layoutChanged
	rcfg := rpc.Config{Identity: ident, Secret: secret, Clock: clock, Log: log.With("part", "rpc"), Registerer: reg}
	if c.rpcSrv, err = rpc.NewServer(rcfg); err != nil {
		return nil, err
	}
	if c.rpcCli, err = rpc.NewClient(rcfg); err != nil {
		return nil, err
	}
	c.peers = c.rpcCli.Bind(c.addrOf)
	c.registerLayoutRPC()
	if reg != nil {
		if err := reg.Register(newClusterCollector(c)); err != nil {
			return nil, fmt.Errorf("cluster metrics: %w", err)
		}
	}
	if err := c.autoLayout(); err != nil {
		return nil, err
	}
	c.logConfigWarnings() // config_warnings.go
	return c, nil
}

// ID returns this node's id.
func (c *clusterNode) ID() cluster.NodeID { return c.ident.ID }

// addrOf returns the RPC address of a node known to membership.
func (c *clusterNode) addrOf(id cluster.NodeID) (string, bool) {
	if id == c.ident.ID {
		return c.cfg.RPCPublicAddr, true
	}
	ml := c.members.Load()
	if ml == nil {
		return "", false
	}
	return ml.Addr(id)
}

// alive reports whether a node is up as far as gossip knows.
func (c *clusterNode) alive(id cluster.NodeID) bool {
	if id == c.ident.ID {
		return true
	}
	ml := c.members.Load()
	return ml != nil && ml.Alive(id)
}

// zone returns a node's zone in the applied layout ("" if it has none).
func (c *clusterNode) zone(id cluster.NodeID) string {
	r, ok := c.layout.Get().Role(id)
	if !ok {
		return ""
	}
	return r.Zone
}

// quorums returns the read and write quorums for replication factor rf
// in the configured consistency mode, as Garage defines them: writes need
// a majority (one replica in "dangerous" mode), reads need enough replicas
// to meet every write quorum (one in "degraded" and "dangerous" modes).
func quorums(rf int, mode string) (read, write int) {
	write = rf/2 + 1
	read = rf - write + 1
	switch mode {
	case config.ConsistencyDegraded:
		read = 1
	case config.ConsistencyDangerous:
		read, write = 1, 1
	}
	return read, write
}

// standalone reports whether the node is configured as a cluster of one:
// replication factor 1 and no bootstrap peers.
func (c *clusterNode) standalone() bool {
	return c.cfg.ReplicationFactor == 1 && len(c.cfg.BootstrapPeers) == 0
}

// autoLayout gives a lone single-copy node (replication_factor 1, no
// bootstrap peers, no layout yet) a layout of its own, so that `make run`
// serves at once. Every other node waits for `garage-web layout assign`
// and `layout apply`, as Garage does.
func (c *clusterNode) autoLayout() error {
	l := c.layout.Get()
	if l.Version() != 0 || l.HasStagedChanges() || !c.standalone() {
		return nil
	}
	_, err := c.layout.Update(func(l *cluster.Layout) error {
		if err := l.Stage(c.ident.ID, cluster.Role{Zone: defaultZone, Capacity: diskCapacity(c.cfg.DataDir)}); err != nil {
			return err
		}
		_, err := l.Apply(1, time.Now())
		return err
	})
	if err != nil {
		return fmt.Errorf("layout of a single node: %w", err)
	}
	c.log.Info("single node: assigned every partition to this node", "zone", defaultZone)
	return nil
}

// defaultZone is the zone of a single node's automatic layout.
const defaultZone = "dc1"

// diskCapacity is the size of the file system holding dir (1 TB if it
// cannot be read).
func diskCapacity(dir string) uint64 {
	total, _, ok := diskSpace(dir)
	if !ok {
		return 1e12
	}
	return total
}

// diskSpace returns the size and the space available of the file system
// holding dir.
func diskSpace(dir string) (total, avail uint64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Blocks == 0 {
		return 0, 0, false
	}
	return st.Blocks * uint64(st.Bsize), st.Bavail * uint64(st.Bsize), true
}

// start listens on rpc_bind_addr, serves RPC, starts gossip and joins
// the bootstrap peers and the peers of an earlier run. The returned stop
// function leaves the cluster and closes everything.
func (c *clusterNode) start(ctx context.Context) (stop func(), err error) {
	if pub := c.cfg.RPCPublicAddr; pub == "" || pub == c.cfg.RPCBindAddr {
		if host, _, err := net.SplitHostPort(c.cfg.RPCBindAddr); err == nil {
			if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
				return nil, fmt.Errorf("rpc_bind_addr %s listens on every address: set rpc_public_addr to the host:port other nodes reach this one at", c.cfg.RPCBindAddr)
			}
		}
	}
	ln, err := net.Listen("tcp", c.cfg.RPCBindAddr)
	if err != nil {
		return nil, fmt.Errorf("rpc_bind_addr %s: %w", c.cfg.RPCBindAddr, err)
	}
	bind := ln.Addr().String()
	public := c.cfg.RPCPublicAddr
	if public == "" || public == c.cfg.RPCBindAddr {
		public = bind // port 0 in tests: advertise the real port
	}
	c.cfg.RPCPublicAddr = public
	go func() {
		if err := c.rpcSrv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, rpc.ErrServerClosed) {
			c.log.Error("rpc server stopped", "err", err)
		}
	}()
	secret, _ := hex.DecodeString(c.cfg.RPCSecret)
	host, _, _ := net.SplitHostPort(bind)
	ml, err := membership.New(membership.Config{
		ID:            c.ident.ID,
		BindAddr:      bind,
		AdvertiseAddr: public,
		Zone:          c.zone(c.ident.ID),
		Secret:        secret,
		Dir:           c.cfg.MetadataDir,
		WAN:           !isLoopback(host),
		Log:           c.log.With("part", "membership"),
		Streams:       gossipStreams{c},
		Meta:          c.layout.Meta,
	})
	if err != nil {
		c.rpcSrv.Close()
		return nil, fmt.Errorf("cluster membership on %s, advertised as %s: %w", bind, public, err)
	}
	c.members.Store(ml)
	runCtx, cancel := context.WithCancel(ctx)
	go c.syncLayouts(runCtx, ml)
	go c.measureRTT(runCtx, ml)
	go c.runTransitions(runCtx)
	go c.join(runCtx, ml)
	return func() {
		cancel()
		if err := ml.Leave(5 * time.Second); err != nil {
			c.log.Debug("leaving the cluster", "err", err)
		}
		ml.Shutdown()
		c.rpcSrv.Close()
		c.rpcCli.Close()
	}, nil
}

// rttEvery is how often each live peer is pinged to measure the round
// trip times that order replicas for reads.
const rttEvery = 10 * time.Second

// measureRTT pings every live peer every rttEvery until ctx ends.
func (c *clusterNode) measureRTT(ctx context.Context, ml *membership.Membership) {
	tick := time.NewTicker(rttEvery)
	defer tick.Stop()
	for {
		for _, m := range ml.Members() {
			if m.ID == c.ident.ID || !m.Alive {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, rttEvery/2)
			if _, err := c.peers.Ping(pctx, m.ID); err != nil {
				c.log.Debug("ping failed", "node", m.ID.Short(), "err", err)
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// join contacts the bootstrap peers, then the peers remembered from an
// earlier run, retrying in the background until one answers.
func (c *clusterNode) join(ctx context.Context, ml *membership.Membership) {
	if len(c.cfg.BootstrapPeers) > 0 {
		backoff := time.Second
		for {
			n, err := ml.Join(ctx, c.cfg.BootstrapPeers)
			if n > 0 {
				c.log.Info("joined the cluster", "contacted", n)
				break
			}
			c.log.Warn("no bootstrap peer answered; will retry", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
		}
	}
	if _, err := ml.RejoinKnown(ctx); err != nil {
		c.log.Debug("rejoining known peers", "err", err)
	}
}

// Connect joins the node at "ID@host:port".
func (c *clusterNode) Connect(ctx context.Context, peer string) error {
	ml := c.members.Load()
	if ml == nil {
		return errors.New("the node is not running its cluster membership yet")
	}
	_, err := ml.Join(ctx, []string{peer})
	return err
}

// gossipStreams carries memberlist's streams over the RPC port (mutual
// TLS, ALPN garage-web-gossip/1).
type gossipStreams struct{ c *clusterNode }

func (g gossipStreams) Streams() <-chan net.Conn { return g.c.rpcSrv.GossipStreams() }

func (g gossipStreams) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	return g.c.rpcCli.DialGossip(ctx, addr)
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback() || host == "localhost"
}
