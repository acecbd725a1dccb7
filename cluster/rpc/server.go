package rpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// Handler answers one call. from is the caller, authenticated by its
// certificate; ctx ends at the caller's deadline. To send the caller a
// specific error code, return an *Error (or wrap one).
//
// Handler is an alias, so any func with this signature is a Handler and
// Server.Handle matches interfaces declared with the plain func type.
type Handler = func(ctx context.Context, from cluster.NodeID, body []byte) ([]byte, error)

// Server timeouts.
const (
	handshakeTimeout  = 10 * time.Second // TLS handshake of an accepted connection
	serverIdleTimeout = 2 * time.Minute  // idle HTTP/2 connection (clients close theirs first)
	gossipHandoff     = 10 * time.Second // wait for a reader of GossipStreams before dropping a stream
)

// PingMethod is the method every server answers with an empty body, for
// liveness and RTT measurement.
const PingMethod = "rpc.ping"

// Server answers calls on one or more listeners.
type Server struct {
	log     *slog.Logger
	clock   Clock
	tls     *tls.Config
	metrics *serverMetrics

	mu       sync.RWMutex
	handlers map[string]Handler
	lns      map[net.Listener]struct{}
	closed   bool // by Close
	draining bool // by Shutdown: no new connections

	http    *http.Server
	h2      *connListener // handshaken HTTP/2 connections, for http
	gossip  chan net.Conn
	ctx     context.Context // canceled by Close
	cancel  context.CancelFunc
	httpRun sync.Once
	wg      sync.WaitGroup // Serve loops and handshakes
}

// NewServer returns a server for cfg; it answers PingMethod by itself.
func NewServer(cfg Config) (*Server, error) {
	a, leaf, log, err := cfg.setup()
	if err != nil {
		return nil, err
	}
	m, err := newServerMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("rpc: metrics: %w", err)
	}
	s := &Server{
		log:      log,
		clock:    cfg.Clock,
		tls:      serverTLS(a, leaf),
		metrics:  m,
		handlers: map[string]Handler{},
		lns:      map[net.Listener]struct{}{},
		h2:       newConnListener(),
		gossip:   make(chan net.Conn),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: handshakeTimeout,
		IdleTimeout:       serverIdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: 1000,
			// Windows big enough for 64 MiB bodies over links 100 ms long.
			MaxReceiveBufferPerStream:     8 << 20,
			MaxReceiveBufferPerConnection: 32 << 20,
			SendPingTimeout:               30 * time.Second,
			PingTimeout:                   15 * time.Second,
		},
	}
	s.handlers[PingMethod] = func(context.Context, cluster.NodeID, []byte) ([]byte, error) { return nil, nil }
	return s, nil
}

// Handle registers h for method: 1 to 128 characters of [A-Za-z0-9._-],
// not starting with "rpc." (reserved). It may be called while serving.
// Registering a method twice, or an invalid name, panics.
func (s *Server) Handle(method string, h Handler) {
	if !validMethod(method) || strings.HasPrefix(method, "rpc.") {
		panic(fmt.Sprintf("rpc: invalid method name %q", method))
	}
	if h == nil {
		panic("rpc: nil handler for " + method)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[method]; dup {
		panic("rpc: method registered twice: " + method)
	}
	s.handlers[method] = h
}

// GossipStreams delivers accepted connections that negotiated GossipALPN,
// their peer already authenticated (PeerID tells who it is). A stream not
// taken within 10 s is closed. The channel is never closed; stop reading
// it after Close.
func (s *Server) GossipStreams() <-chan net.Conn { return s.gossip }

// Serve accepts connections on ln until Close; it always returns an
// error, ErrServerClosed after Close. Serve may run on several listeners.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed || s.draining {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	s.httpRun.Do(func() {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = s.http.Serve(s.h2) // ends when s.h2 closes
		}()
	})

	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("rpc: accept: %w", err)
			}
			// Out of file descriptors and the like: wait and retry.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("rpc: accept failed", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
			}
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go s.handshake(conn)
	}
}

// handshake authenticates conn and hands it to HTTP/2 or gossip.
func (s *Server) handshake(conn net.Conn) {
	defer s.wg.Done()
	tc := tls.Server(conn, s.tls)
	ctx, cancel := context.WithTimeout(s.ctx, handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		s.metrics.handshakeFailed()
		s.log.Debug("rpc: handshake refused", "remote", conn.RemoteAddr(), "err", err)
		conn.Close()
		return
	}
	switch tc.ConnectionState().NegotiatedProtocol {
	case alpnH2:
		if !s.h2.push(tc) {
			tc.Close()
		}
	case GossipALPN:
		t := time.NewTimer(gossipHandoff)
		defer t.Stop()
		select {
		case s.gossip <- tc:
		case <-t.C:
			s.log.Warn("rpc: gossip stream dropped, nobody reading GossipStreams", "remote", conn.RemoteAddr())
			tc.Close()
		case <-s.ctx.Done():
			tc.Close()
		}
	default:
		tc.Close()
	}
}

func (s *Server) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed || s.draining
}

// Shutdown stops accepting connections, lets the calls in progress
// finish (until ctx ends) and then closes the server as Close does.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	for ln := range s.lns {
		_ = ln.Close() // Serve returns ErrServerClosed
	}
	s.mu.Unlock()
	err := s.http.Shutdown(ctx)
	return errors.Join(err, s.Close())
}

// Close stops every listener, closes every connection (calls in progress
// fail on their callers' side) and waits for the server's goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	var errs []error
	for ln := range s.lns {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	s.mu.Unlock()
	s.h2.Close()
	if err := s.http.Close(); err != nil {
		errs = append(errs, err)
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) handler(method string) Handler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.handlers[method]
}
