package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/config"
	"github.com/garage-web/garage-web/internal/httplimit"
	gwnode "github.com/garage-web/garage-web/node"
)

// node is one garage-web node as buildNode assembles it. runServer serves
// its handlers, runs its background work and closes it on shutdown.
type node struct {
	// admin is the data model as the admin API sees it. Required.
	admin admin.Backend
	// registry holds the node's metrics, served on /metrics. Nil: runServer
	// uses newRegistry().
	registry *prometheus.Registry
	// s3 and web are served on s3_api.api_bind_addr and s3_web.bind_addr.
	// Nil: that endpoint is not served.
	s3, web http.Handler
	// sites serves the admin API's site operations; nil: 501.
	sites admin.SiteBackend
	// run, if not nil, does the background work (RPC server, membership,
	// anti-entropy, resync, scrub, TLS listeners on 80/443) until its
	// context is cancelled, which runServer does after the HTTP servers
	// have stopped. Returning an error before that stops the node.
	run func(ctx context.Context) error
	// close, if not nil, releases what the node holds (bbolt, block
	// files) once everything else has stopped.
	close func() error
	// conns caps connections per client address over every listener,
	// the node's own HTTPS ones included. Nil: runServer makes one.
	conns *httplimit.Limiter
}

// buildNode assembles the layers of a node (storage, tables, model, S3,
// web) from cfg, whose secrets are already set; package node does the work.
func buildNode(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*node, error) {
	nd, err := gwnode.Open(cfg, logger)
	if err != nil {
		return nil, err
	}
	n := &node{
		admin:    nd.Backend(),
		registry: nd.Registry(),
		s3:       nd.S3Handler(),
		sites:    nd.Model(),
		run:      func(ctx context.Context) error { return nd.Run(ctx, os.Stdout) },
		close:    nd.Close,
		conns:    nd.ConnLimiter(),
	}
	if web := nd.WebHandler(); web != nil {
		n.web = web
	}
	return n, nil
}

// newRegistry returns a registry with the Go runtime and process metrics.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// serverHooks are runServer's replaceable parts.
type serverHooks struct {
	build func(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*node, error)
	// listening, if not nil, is told the address of each endpoint once it
	// listens (tests use port 0).
	listening func(name string, addr net.Addr)
}

// Timeouts of the HTTP servers. There is no write timeout: S3 downloads
// and uploads can take as long as they need.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// shutdownTimeout bounds how long in-flight requests may finish after
	// SIGINT/SIGTERM.
	shutdownTimeout = 30 * time.Second
)

// runServer serves a node until ctx is cancelled (a signal) or a part of
// the node fails, then stops it gracefully: it stops accepting requests,
// lets in-flight ones finish (up to shutdownTimeout), stops background
// work, and closes the node.
func runServer(ctx context.Context, cfg *config.Config, logger *slog.Logger, hooks serverHooks) (err error) {
	n, err := hooks.build(ctx, cfg, logger)
	if err != nil {
		return fmt.Errorf("starting node: %w", err)
	}
	defer func() {
		if n.close != nil {
			if cerr := n.close(); cerr != nil {
				logger.Error("closing node", "err", cerr)
				err = errors.Join(err, cerr)
			}
		}
	}()
	if n.admin == nil {
		return errors.New("starting node: no admin backend")
	}
	if n.registry == nil {
		n.registry = newRegistry()
	}
	if n.conns == nil {
		n.conns = httplimit.NewLimiter(0, logger.With("component", "http"))
	}
	adm, err := admin.NewServer(admin.Options{
		Backend:      n.admin,
		AdminToken:   cfg.Admin.AdminToken,
		MetricsToken: cfg.Admin.MetricsToken,
		Registry:     n.registry,
		Logger:       logger.With("component", "admin"),
		Sites:        n.sites,
	})
	if err != nil {
		return err
	}

	endpoints := []endpoint{
		{name: "admin API", addr: cfg.Admin.APIBindAddr, handler: adm},
		{name: "S3 API", addr: cfg.S3API.APIBindAddr, handler: n.s3},
		{name: "web endpoint", addr: cfg.S3Web.BindAddr, handler: n.web},
	}
	if err := listenAll(endpoints, n.conns, logger); err != nil {
		return err
	}
	errc := make(chan error, len(endpoints))
	for _, ep := range endpoints {
		if ep.srv == nil {
			continue
		}
		logger.Info("listening", "endpoint", ep.name, "addr", ep.ln.Addr().String())
		if hooks.listening != nil {
			hooks.listening(ep.name, ep.ln.Addr())
		}
		go func() {
			if err := ep.srv.Serve(ep.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", ep.name, err)
			}
		}()
	}

	// Background work outlives the signal until the HTTP servers stop.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	runDone := make(chan error, 1)
	if n.run != nil {
		go func() { runDone <- n.run(runCtx) }()
	}
	logger.Info("garage-web started", "version", version, "metadata_dir", cfg.MetadataDir, "data_dir", cfg.DataDir)

	var failure error
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			logger.Info("stopping", "reason", context.Cause(ctx))
			waiting = false
		case failure = <-errc:
			waiting = false
		case rerr := <-runDone:
			runDone = nil // received: do not wait for it again
			if rerr != nil {
				failure, waiting = fmt.Errorf("node stopped: %w", rerr), false
			}
		}
	}
	if failure != nil {
		logger.Error("stopping", "err", failure)
	}

	shutdownAll(context.WithoutCancel(ctx), endpoints, logger)
	stopRun()
	if n.run != nil && runDone != nil {
		if rerr := <-runDone; rerr != nil && !errors.Is(rerr, context.Canceled) {
			logger.Error("background work", "err", rerr)
		}
	}
	logger.Info("stopped")
	return failure
}

// endpoint is one HTTP server of the node.
type endpoint struct {
	name    string
	addr    string
	handler http.Handler // nil: not served
	ln      net.Listener
	srv     *http.Server
}

// listenAll binds every endpoint before any serves, so that a port in use
// is reported at once and nothing is left half-started. Every endpoint
// shares limits's cap of connections per client address, and bounds each
// read of a request body (internal/httplimit).
func listenAll(eps []endpoint, limits *httplimit.Limiter, logger *slog.Logger) error {
	for i := range eps {
		ep := &eps[i]
		if ep.handler == nil {
			continue
		}
		ln, err := net.Listen("tcp", ep.addr)
		if err != nil {
			for _, prev := range eps[:i] {
				if prev.ln != nil {
					prev.ln.Close()
				}
			}
			return fmt.Errorf("%s: %w", ep.name, err)
		}
		ep.ln = limits.Listener(ln)
		ep.srv = &http.Server{
			Handler:           httplimit.Handler(ep.handler, httplimit.DefaultBodyReadTimeout),
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       idleTimeout,
			ErrorLog:          slog.NewLogLogger(logger.With("endpoint", ep.name).Handler(), slog.LevelWarn),
		}
	}
	return nil
}

// shutdownAll stops the servers together, within shutdownTimeout.
func shutdownAll(ctx context.Context, eps []endpoint, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, ep := range eps {
		if ep.srv == nil {
			continue
		}
		wg.Go(func() {
			if err := ep.srv.Shutdown(ctx); err != nil {
				logger.Warn("requests cut short by shutdown", "endpoint", ep.name, "err", err)
				ep.srv.Close()
			}
		})
	}
	wg.Wait()
}
