package membership

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/hashicorp/memberlist"
)

// Member is a node as this one sees it.
type Member struct {
	ID       cluster.NodeID
	Addr     string // advertised RPC host:port
	Zone     string
	Meta     []byte // application metadata (Config.Meta on that node)
	Alive    bool
	LastSeen time.Time // now for live members; when last known alive otherwise
}

func (mem Member) clone() Member {
	mem.Meta = bytes.Clone(mem.Meta)
	return mem
}

// Membership is this node's view of the cluster. Its methods are safe for
// concurrent use.
type Membership struct {
	cfg Config
	log *slog.Logger
	ml  *memberlist.Memberlist
	tr  *transport

	mu      sync.Mutex
	members map[cluster.NodeID]*Member // other nodes, seen or remembered
	known   []peerRecord               // read from Dir/peers at start
	subs    []chan Event
	queue   []Event
	left    bool
	closed  bool

	kick  chan struct{} // events queued
	dirty chan struct{} // peers file to rewrite
	done  chan struct{} // closed by Shutdown
	wg    sync.WaitGroup

	shutdownOnce sync.Once
}

// resolveTimeout bounds the lookup of the advertised address in New.
const resolveTimeout = 10 * time.Second

// New starts gossip on cfg.BindAddr. It joins nobody: call Join with
// bootstrap peers and RejoinKnown to find the peers of an earlier run.
func New(cfg Config) (*Membership, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	advIP, advPort, err := resolveHostPort(ctx, cfg.advertise())
	cancel()
	if err != nil {
		return nil, fmt.Errorf("membership: advertised address %q: %w", cfg.advertise(), err)
	}
	if advIP.IsUnspecified() {
		return nil, fmt.Errorf("%w: advertised address %q is not one others can reach: set AdvertiseAddr", ErrBadConfig, cfg.advertise())
	}
	key, err := gossipKey(cfg.Secret)
	if err != nil {
		return nil, err
	}
	m := &Membership{
		cfg:     cfg,
		log:     log,
		members: make(map[cluster.NodeID]*Member),
		kick:    make(chan struct{}, 1),
		dirty:   make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("membership: %w", err)
		}
		known, err := loadPeers(cfg.Dir)
		if err != nil {
			return nil, err
		}
		for _, p := range known {
			if p.ID == cfg.ID || p.ID.IsZero() {
				continue
			}
			m.known = append(m.known, p)
			m.members[p.ID] = &Member{ID: p.ID, Addr: p.Addr, Zone: p.Zone, LastSeen: p.LastSeen}
		}
	}
	m.tr, err = newTransport(cfg.BindAddr, advIP, advPort, cfg.Streams, cfg.ID, key, log)
	if err != nil {
		return nil, err
	}
	mc := cfg.memberlistConfig()
	mc.Transport = m.tr
	// Our transport is bound already; these only fill memberlist's
	// defaults (ports added to addresses given without one).
	mc.BindAddr, mc.BindPort = m.tr.localAddr().IP.String(), m.tr.localAddr().Port
	mc.AdvertiseAddr, mc.AdvertisePort = advIP.String(), advPort
	mc.SecretKey = key
	mc.Delegate = delegate{m}
	mc.Events = events{m}
	mc.Logger = memberlistLogger(log)
	m.ml, err = memberlist.Create(mc)
	if err != nil {
		_ = m.tr.Shutdown()
		return nil, fmt.Errorf("membership: start memberlist: %w", err)
	}
	m.wg.Add(3)
	go m.dispatch()
	go m.writePeers()
	go m.reconnectLoop()
	log.Info("membership: started", "node", cfg.ID.Short(), "bind", m.tr.localAddr().String(), "advertise", cfg.advertise(), "zone", cfg.Zone, "wan", cfg.WAN)
	return m, nil
}

// ID returns this node's id.
func (m *Membership) ID() cluster.NodeID { return m.cfg.ID }

// Local returns this node as a Member.
func (m *Membership) Local() Member {
	meta := m.localMeta()
	return Member{ID: meta.ID, Addr: meta.Addr, Zone: meta.Zone, Meta: meta.App, Alive: true, LastSeen: time.Now()}
}

// localMeta is what this node advertises now.
func (m *Membership) localMeta() nodeMeta {
	meta := nodeMeta{ID: m.cfg.ID, Addr: m.cfg.advertise(), Zone: m.cfg.Zone}
	if m.cfg.Meta != nil {
		meta.App = bytes.Clone(m.cfg.Meta())
	}
	return meta
}

// Members returns this node and every other node seen since start or
// remembered from an earlier run, sorted by id. Nodes that are dead or
// left have Alive false and the time they were last known alive.
func (m *Membership) Members() []Member {
	now := time.Now()
	out := []Member{m.Local()}
	m.mu.Lock()
	for _, mem := range m.members {
		c := mem.clone()
		if c.Alive {
			c.LastSeen = now
		}
		out = append(out, c)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Member) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out
}

// Addr returns the advertised RPC address of node id, seen or
// remembered, without listing every member (the RPC client asks on every
// call).
func (m *Membership) Addr(id cluster.NodeID) (string, bool) {
	if id == m.cfg.ID {
		a := m.cfg.advertise()
		return a, a != ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mem, ok := m.members[id]
	if !ok || mem.Addr == "" {
		return "", false
	}
	return mem.Addr, true
}

// Alive reports whether node id is up as far as this node knows; this
// node is always alive.
func (m *Membership) Alive(id cluster.NodeID) bool {
	if id == m.cfg.ID {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mem, ok := m.members[id]
	return ok && mem.Alive
}

// defaultBroadcastTimeout bounds UpdateMeta and Leave when ctx has no
// deadline.
const defaultBroadcastTimeout = 10 * time.Second

// UpdateMeta re-broadcasts this node's metadata after Config.Meta's
// answer changed. It waits until the update went out to one member (if
// any is alive), or ctx is done.
func (m *Membership) UpdateMeta(ctx context.Context) error {
	if m.isClosed() {
		return ErrShutdown
	}
	if m.cfg.Meta != nil {
		if n := len(m.cfg.Meta()); n > MaxAppMeta {
			return fmt.Errorf("%w: %d bytes, at most %d", ErrMetaTooLarge, n, MaxAppMeta)
		}
	}
	timeout := defaultBroadcastTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return fmt.Errorf("membership: update metadata: %w", context.DeadlineExceeded)
	}
	errc := make(chan error, 1)
	go func() { errc <- m.ml.UpdateNode(timeout) }()
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("membership: update metadata: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("membership: update metadata: %w", ctx.Err())
	}
}

// Leave tells the cluster this node is leaving, waiting at most timeout
// for the message to reach a member; gossip keeps running until
// Shutdown. The others see the node as left (Alive false), not failed.
func (m *Membership) Leave(timeout time.Duration) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrShutdown
	}
	m.left = true
	m.mu.Unlock()
	if err := m.ml.Leave(timeout); err != nil {
		return fmt.Errorf("membership: leave: %w", err)
	}
	return nil
}

// Shutdown stops gossip without telling the others (they will declare
// this node dead; call Leave first to leave cleanly), writes the peers
// file a last time and closes the Subscribe channels. The StreamTransport
// is the caller's to close. Calling it again does nothing.
func (m *Membership) Shutdown() error {
	var err error
	m.shutdownOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		close(m.done)
		if e := m.ml.Shutdown(); e != nil {
			err = fmt.Errorf("membership: shutdown: %w", e)
		}
		m.wg.Wait()
		if e := m.savePeers(); e != nil && err == nil {
			err = e
		}
		m.mu.Lock()
		for _, ch := range m.subs {
			close(ch)
		}
		m.subs = nil
		m.mu.Unlock()
	})
	return err
}

func (m *Membership) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// writePeers rewrites Dir/peers after membership changes, until shutdown.
func (m *Membership) writePeers() {
	defer m.wg.Done()
	for {
		select {
		case <-m.done:
			return
		case <-m.dirty:
		}
		if err := m.savePeers(); err != nil {
			m.log.Warn("membership: peers not remembered", "err", err)
		}
	}
}

// savePeers writes every other node seen or remembered to Dir/peers.
func (m *Membership) savePeers() error {
	if m.cfg.Dir == "" {
		return nil
	}
	var recs []peerRecord
	for _, mem := range m.Members() {
		if mem.ID == m.cfg.ID {
			continue
		}
		recs = append(recs, peerRecord{ID: mem.ID, Addr: mem.Addr, Zone: mem.Zone, LastSeen: mem.LastSeen.UTC()})
	}
	return savePeers(m.cfg.Dir, recs)
}
