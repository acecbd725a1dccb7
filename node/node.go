package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/config"
	"github.com/garage-web/garage-web/internal/buildinfo"
	"github.com/garage-web/garage-web/internal/diskspace"
	"github.com/garage-web/garage-web/internal/httplimit"
	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// Version is the garage-web version reported by the admin API: the one
// version string of the binary (internal/buildinfo).
var Version = buildinfo.Version()

// GCDelay is how long a block stays after its last reference is dropped.
const GCDelay = 10 * time.Minute

// Node is a running garage-web node.
type Node struct {
	cfg      *config.Config
	log      *slog.Logger
	id       string
	db       *storage.DB
	blocks   *storage.BlockStore
	refs     *storage.RefCounts
	clock    *crdt.Clock
	cluster  *clusterNode
	repl     replicated
	sync     tableSync
	leases   *table.Leases // read leases (nil: off)
	gc       *table.GC
	model    *model.Model
	registry *prometheus.Registry
	s3       *s3.Server
	ready    chan struct{}
	disk     *diskspace.Monitor // disk.go
	conns    *httplimit.Limiter // connections per client address, every listener
	// repair runs block resync, scrub and collection (repair.go).
	repair *repairs
	// tableRepair, when set, syncs every table partition with its other
	// replicas for `garage-web repair tables`; progress gets the
	// partitions done and their total.
	tableRepair func(ctx context.Context, progress func(done, total int)) error
}

// clockFile is the hybrid clock's persisted high-water mark, in
// metadata_dir.
const clockFile = "clock"

// Open opens the node's storage and builds its layers. It does not listen
// yet: call Run.
func Open(cfg *config.Config, log *slog.Logger) (*Node, error) {
	if err := cfg.EnsureSecrets(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.MetadataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create metadata dir: %w", err)
	}
	n := &Node{cfg: cfg, log: log, registry: prometheus.NewRegistry(), ready: make(chan struct{}),
		conns: httplimit.NewLimiter(0, log.With("component", "http"))}
	n.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if n.clock, err = crdt.OpenClock(filepath.Join(cfg.MetadataDir, clockFile), nil); err != nil {
		return nil, err
	}
	if n.cluster, err = newClusterNode(cfg, log, n.clock, n.registry); err != nil {
		return nil, err
	}
	n.id = n.cluster.ID().String()
	if n.db, err = storage.OpenDB(cfg.MetadataDir); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			n.db.Close()
		}
	}()
	if n.blocks, err = storage.OpenBlockStore(cfg.DataDir, int(cfg.CompressionLevel)); err != nil {
		return nil, err
	}
	n.blocks.SetCacheSize(int64(cfg.BlockCacheSize))
	n.openDiskMonitor() // disk.go
	sm, err := newStorageMetrics(n.registry)
	if err != nil {
		return nil, err
	}
	n.blocks.OnCorrupt = func(h storage.Hash) {
		sm.corrupt.Inc()
		log.Error("corrupted block detected: it was not served and is queued for repair from a replica; `garage-web repair scrub --yes` checks every block", "block", h.String())
	}
	if n.refs, err = storage.NewRefCounts(n.db, n.blocks); err != nil {
		return nil, err
	}
	sm.refs = n.refs
	sm.db = n.db
	local, err := table.NewLocal(n.id, n.db, log)
	if err != nil {
		return nil, err
	}
	sm.queue = local.Queue()
	if n.leases, err = n.cluster.openLeases(local, func(ctx context.Context, p uint8, peers []cluster.NodeID) error {
		return n.sync.SyncPartition(ctx, p, peers)
	}, n.registry); err != nil {
		return nil, err
	}
	if n.repl, err = n.cluster.wireTables(local, n.blocks, n.registry); err != nil {
		return nil, err
	}
	if n.sync, err = n.cluster.openTableSync(local, n.registry); err != nil {
		return nil, err
	}
	n.tableRepair = n.sync.s.FullSync
	if n.gc, err = n.cluster.openTableGC(local, n.registry); err != nil {
		return nil, err
	}
	n.model, err = model.Open(model.Config{BlockSize: int(cfg.BlockSize)}, local, n.repl.placement, n.repl.blocks, n.refs, n.clock, n.repl.locker, log)
	if err != nil {
		return nil, err
	}
	if err := n.openRepairs(); err != nil {
		return nil, err
	}
	if n.s3, err = s3.New(s3.Config{Region: cfg.S3API.S3Region, RootDomain: cfg.S3API.RootDomain, DisableSigV2: !cfg.S3API.SigV2}, n.model, n.registry, log.With("api", "s3")); err != nil {
		return nil, err
	}
	ok = true
	return n, nil
}

// ConnLimiter is the node's cap of open connections per client address,
// shared by every listener: the S3, web and admin ones the caller binds
// and the HTTPS ones of automatic TLS.
func (n *Node) ConnLimiter() *httplimit.Limiter { return n.conns }

// Model returns the node's data model.
func (n *Node) Model() *model.Model { return n.model }

// ID returns the node id.
func (n *Node) ID() string { return n.id }

// server is one HTTP endpoint of the node besides the S3 and admin APIs.
type server struct {
	name string
	addr string
	h    http.Handler
}

// Backend returns the admin API's view of the node.
func (n *Node) Backend() admin.Backend { return &backend{n: n} }

// Registry returns the node's metrics registry.
func (n *Node) Registry() *prometheus.Registry { return n.registry }

// S3Handler returns the S3 API handler.
func (n *Node) S3Handler() http.Handler { return n.s3.Handler() }

// WebHandler returns the web endpoint's handler, or nil when the node
// serves no websites.
func (n *Node) WebHandler() http.Handler {
	for _, s := range n.extraServers() {
		if s.name == "web" {
			return s.h
		}
	}
	return nil
}

// Run does the node's background work (task queue, block collection)
// until ctx ends. The caller starts it once the endpoints listen: it
// first writes the start-up banner to out (nil: no banner).
func (n *Node) Run(ctx context.Context, out io.Writer) error {
	applyMemoryLimit(n.cfg, n.log) // memory.go
	stopCluster, err := n.cluster.start(ctx)
	if err != nil {
		return err
	}
	defer stopCluster()
	close(n.ready)
	stopTLS, err := n.startTLS() // tls.go
	if err != nil {
		return err
	}
	defer stopTLS()
	if err := n.banner(ctx, out); err != nil {
		n.log.Warn("could not prepare the first access key", "err", err)
	}
	go releaseStartupPagesLater(ctx, n.log) // startpages.go
	go n.disk.Run(ctx)
	go n.sync.s.Run(ctx)
	if n.leases != nil {
		go n.leases.Run(ctx)
	}
	go n.repair.run(ctx)
	go n.gc.Run(ctx)
	defer n.startNixGC(ctx)() // nixgc.go
	n.model.Run(ctx, GCDelay)
	return nil
}

// Close closes the node's storage once the block writes still going to
// other replicas are done. Call it after Run returned.
func (n *Node) Close() error {
	n.repl.blocks.Wait()
	if n.repair != nil {
		n.repair.wait()
	}
	return n.db.Close()
}

// extraServers are the endpoints of other front ends (web).
func (n *Node) extraServers() []server {
	if n.cfg.S3Web.BindAddr == "" {
		return nil
	}
	h, err := n.webHandler()
	if err != nil {
		n.log.Error("web endpoint disabled", "err", err)
		return nil
	}
	return []server{{"web", n.cfg.S3Web.BindAddr, h}}
}
