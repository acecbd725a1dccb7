package blockrepl

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// Defaults of Config's timeouts.
const (
	// DefaultReadTimeout bounds one remote read attempt: long enough for a
	// few MiB over a slow inter-site link, short enough that a hung replica
	// hands over to the next one.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds each replica's write, including those
	// that finish in the background after the quorum answered.
	DefaultWriteTimeout = 60 * time.Second
)

// Config configures a Store. Caller, Replicas and WriteQuorum are
// required; everything else is optional.
type Config struct {
	// Node is this node's id.
	Node cluster.NodeID
	// Local is this node's block store; nil on a gateway node, which reads
	// and writes only remotely.
	Local *storage.BlockStore
	// Caller reaches the other nodes.
	Caller Caller
	// Replicas returns the nodes of the block's partition (Partition(h))
	// from the current layout. Duplicates are ignored.
	Replicas func(h storage.Hash) []cluster.NodeID
	// WriteQuorum returns how many replicas must store a block before
	// Write succeeds; at least 1. It is asked at every write, so it follows
	// layout changes.
	WriteQuorum func() int
	// WriteSets, if set, returns the replica sets a block write must
	// reach, each at its own quorum (several while a layout change moves
	// data); Replicas and WriteQuorum are then used for reads only.
	WriteSets func(h storage.Hash) []WriteSet
	// Alive reports whether a node is up; a node reported down is not
	// asked at all. nil: every node is up.
	Alive func(cluster.NodeID) bool
	// Zone returns a node's zone; nil or "" means unknown.
	Zone func(cluster.NodeID) string
	// LocalZone is this node's zone; "" means Zone(Node), looked up at
	// each read (the zone may change with the layout).
	LocalZone string
	// RTT returns the measured round-trip time to a node, and false when
	// there is no measurement. nil: no measurements.
	RTT func(cluster.NodeID) (time.Duration, bool)
	// ReadTimeout bounds one remote read attempt (DefaultReadTimeout if 0).
	ReadTimeout time.Duration
	// WriteTimeout bounds each replica write (DefaultWriteTimeout if 0).
	WriteTimeout time.Duration
	// OnBadCopy, if set, is called with the node and hash of every corrupt
	// copy a read met (the local node's included), so that the node can
	// schedule its repair. It must not block.
	OnBadCopy func(node cluster.NodeID, h storage.Hash)
	// Log receives warnings about bad copies and failed replicas; nil
	// discards them.
	Log *slog.Logger
	// Registerer, if set, receives the store's metrics.
	Registerer prometheus.Registerer
}

// WriteSet is the replicas of a block's partition in one layout version
// and how many of them must store a block.
type WriteSet struct {
	Nodes  []cluster.NodeID
	Quorum int
}

// Store reads and writes blocks on their replicas. It implements
// model.Blocks and is safe for concurrent use.
type Store struct {
	cfg Config
	log *slog.Logger
	m   *metrics
	bg  sync.WaitGroup // replica writes still running after Write returned
	// onLocalMiss, set by NewResyncer, learns of blocks this node should
	// hold but a read did not find locally.
	onLocalMiss atomic.Pointer[func(storage.Hash)]
	// beforeLocalWrite, if set (tests), runs before a local replica write.
	beforeLocalWrite func()
}

// New returns a store. It panics if Caller, Replicas or WriteQuorum is
// nil: those are wiring mistakes, and a quorum must not be guessed. Metrics that cannot be registered are logged, not fatal.
func New(cfg Config) *Store {
	if cfg.Caller == nil || cfg.Replicas == nil {
		panic("blockrepl: Config.Caller and Config.Replicas are required")
	}
	if cfg.WriteQuorum == nil {
		panic("blockrepl: Config.WriteQuorum is required")
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{cfg: cfg, log: log, m: newMetrics()}
	if cfg.Registerer != nil {
		if err := s.m.register(cfg.Registerer); err != nil {
			log.Warn("block replication metrics not registered", "err", err)
		}
	}
	return s
}

// Wait blocks until the replica writes still running in the background
// have finished (each is bounded by WriteTimeout). Call it at shutdown,
// before closing the local block store.
func (s *Store) Wait() { s.bg.Wait() }

// replicas returns the block's replicas without duplicates.
func (s *Store) replicas(h storage.Hash) []cluster.NodeID {
	nodes := s.cfg.Replicas(h)
	out := make([]cluster.NodeID, 0, len(nodes))
	for _, n := range nodes {
		dup := false
		for _, o := range out {
			dup = dup || o == n
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out
}

func (s *Store) alive(n cluster.NodeID) bool {
	return n == s.cfg.Node || s.cfg.Alive == nil || s.cfg.Alive(n)
}
