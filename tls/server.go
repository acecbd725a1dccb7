package autotls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
)

// Config configures a [Server].
type Config struct {
	// TLSAddr is the HTTPS listener's host:port. Required.
	TLSAddr string
	// HTTPAddr is the plain HTTP listener's host:port: ACME HTTP-01
	// challenges and redirects to HTTPS. Empty: none, and only TLS-ALPN-01
	// challenges are used.
	HTTPAddr string
	// CA is the ACME directory URL; empty: Let's Encrypt production.
	CA string
	// Email is the contact address given to the CA (may be empty).
	Email string
	// CARoots, if not nil, are the roots that sign the ACME server's own
	// HTTPS certificate (a private CA such as pebble); nil: system roots.
	CARoots *x509.CertPool
	// Policy decides which names get a certificate. Required.
	Policy *Policy
	// Storage keeps certificates and locks. Required.
	Storage *Storage
	// Handler serves the HTTPS requests (the web endpoint). Required.
	Handler http.Handler
	// Logger; slog.Default() when nil.
	Logger *slog.Logger
	// Listener, if set, wraps both listeners once bound: the node's cap of
	// connections per client address (internal/httplimit), shared with
	// its other endpoints.
	Listener func(net.Listener) net.Listener
}

// Timeouts of the listeners (the same as the node's other endpoints).
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// Server is the HTTPS (and HTTP) side of the web endpoint.
type Server struct {
	log     *slog.Logger
	cache   *certmagic.Cache
	servers []*http.Server
	lns     []net.Listener
	errc    chan error
	wg      sync.WaitGroup
	once    sync.Once
}

// Listen binds the listeners and starts serving. Certificates are
// obtained during the first handshake for each allowed name.
func Listen(c Config) (*Server, error) {
	if c.TLSAddr == "" || c.Policy == nil || c.Storage == nil || c.Handler == nil {
		return nil, errors.New("autotls: TLSAddr, Policy, Storage and Handler are required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	zl := zapLogger(c.Logger.With("component", "certmagic"))
	s := &Server{log: c.Logger, errc: make(chan error, 2)}

	tlsLn, err := net.Listen("tcp", c.TLSAddr)
	if err != nil {
		return nil, fmt.Errorf("tls_bind_addr: %w", err)
	}
	var httpLn net.Listener
	if c.HTTPAddr != "" {
		if httpLn, err = net.Listen("tcp", c.HTTPAddr); err != nil {
			tlsLn.Close()
			return nil, fmt.Errorf("http_bind_addr: %w", err)
		}
	}

	var magic *certmagic.Config
	s.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return magic, nil },
		Logger:           zl,
	})
	magic = certmagic.New(s.cache, certmagic.Config{
		Storage:  c.Storage,
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: c.Policy.Allow},
		Logger:   zl,
	})
	issuer := certmagic.NewACMEIssuer(magic, certmagic.ACMEIssuer{
		CA:           c.CA,
		Email:        c.Email,
		Agreed:       true, // enabling automatic HTTPS accepts the CA's terms
		TrustedRoots: c.CARoots,
		// Our own listeners answer the challenges: certmagic must not
		// start its own. Naming the addresses they are bound to makes its
		// attempt to listen there fail as "in use", which it takes as
		// "someone answers".
		DisableHTTPChallenge: httpLn == nil,
		Logger:               zl,
	})
	if c.CA == "" {
		issuer.CA = certmagic.LetsEncryptProductionCA
	}
	setSolverAddr(&issuer.ListenHost, &issuer.AltTLSALPNPort, tlsLn.Addr())
	if httpLn != nil {
		setSolverAddr(&issuer.ListenHost, &issuer.AltHTTPPort, httpLn.Addr())
	}
	magic.Issuers = []certmagic.Issuer{issuer}
	if c.Listener != nil {
		tlsLn = c.Listener(tlsLn)
		if httpLn != nil {
			httpLn = c.Listener(httpLn)
		}
	}

	tlsCfg := magic.TLSConfig()
	tlsCfg.MinVersion = tls.VersionTLS12
	tlsCfg.NextProtos = append([]string{"h2", "http/1.1"}, tlsCfg.NextProtos...)
	errLog := slog.NewLogLogger(c.Logger.With("endpoint", "web https").Handler(), slog.LevelWarn)
	https := &http.Server{Handler: c.Handler, TLSConfig: tlsCfg, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout, ErrorLog: errLog}
	s.serve("web https", https, tlsLn, func() error { return https.ServeTLS(tlsLn, "", "") })
	if httpLn != nil {
		_, tlsPort, _ := net.SplitHostPort(tlsLn.Addr().String())
		h := issuer.HTTPChallengeHandler(redirect(tlsPort))
		plain := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout,
			ErrorLog: slog.NewLogLogger(c.Logger.With("endpoint", "web http").Handler(), slog.LevelWarn)}
		s.serve("web http", plain, httpLn, func() error { return plain.Serve(httpLn) })
	}
	return s, nil
}

// setSolverAddr points certmagic's challenge solver at a bound address.
func setSolverAddr(host *string, port *int, a net.Addr) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return
	}
	*port = ta.Port
	if !ta.IP.IsUnspecified() {
		*host = ta.IP.String()
	}
}

func (s *Server) serve(name string, srv *http.Server, ln net.Listener, run func() error) {
	s.servers = append(s.servers, srv)
	s.lns = append(s.lns, ln)
	s.log.Info("listening", "endpoint", name, "addr", ln.Addr().String())
	s.wg.Go(func() {
		if err := run(); !errors.Is(err, http.ErrServerClosed) {
			s.errc <- fmt.Errorf("%s: %w", name, err)
		}
	})
}

// Addrs returns the bound addresses: HTTPS first, then HTTP if any.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.lns))
	for i, ln := range s.lns {
		out[i] = ln.Addr()
	}
	return out
}

// Err receives an error if a listener stops serving by itself; it is
// closed by Shutdown.
func (s *Server) Err() <-chan error { return s.errc }

// Shutdown stops the listeners, lets requests in flight finish until ctx
// ends, and stops certificate maintenance.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		for _, srv := range s.servers {
			if e := srv.Shutdown(ctx); e != nil {
				srv.Close()
				err = errors.Join(err, e)
			}
		}
		s.wg.Wait()
		close(s.errc)
		s.cache.Stop()
	})
	return err
}

// redirect sends every request to the same host and path over HTTPS.
func redirect(tlsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !ValidName(canonicalName(host)) {
			http.Error(w, "HTTPS only", http.StatusBadRequest)
			return
		}
		if tlsPort != "443" {
			host = net.JoinHostPort(host, tlsPort)
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}
