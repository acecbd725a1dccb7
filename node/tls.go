package node

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/garage-web/garage-web/internal/httplimit"
	autotls "github.com/garage-web/garage-web/tls"
)

// tlsShutdownTimeout bounds how long HTTPS requests in flight may finish
// when the node stops.
const tlsShutdownTimeout = 30 * time.Second

// startTLS starts automatic HTTPS for the web endpoint when [s3_web.tls]
// is configured (docs/tls.md): an HTTPS listener, and an HTTP one for
// ACME challenges and redirects, with certificates kept in the cluster.
// The returned function stops them; it is a no-op when TLS is off.
func (n *Node) startTLS() (stop func(), err error) {
	c := n.cfg.S3Web.TLS
	if !c.Enabled() {
		return func() {}, nil
	}
	h, err := n.webHandler()
	if err != nil {
		return nil, fmt.Errorf("automatic HTTPS: web endpoint: %w", err)
	}
	sites, ok := h.(autotls.SiteChecker)
	if !ok {
		return nil, fmt.Errorf("automatic HTTPS: web endpoint %T cannot tell which sites it serves", h)
	}
	var roots *x509.CertPool
	if c.ACMECARoot != "" {
		pem, err := os.ReadFile(c.ACMECARoot)
		if err != nil {
			return nil, fmt.Errorf("s3_web.tls.acme_ca_root: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("s3_web.tls.acme_ca_root: %s holds no PEM certificate", c.ACMECARoot)
		}
	}
	log := n.log.With("api", "web", "tls", true)
	srv, err := autotls.Listen(autotls.Config{
		TLSAddr:  c.TLSBindAddr,
		HTTPAddr: c.HTTPBindAddr,
		CA:       c.ACMECA,
		Email:    c.ACMEEmail,
		CARoots:  roots,
		Policy:   autotls.NewPolicy(sites, c.TLSDomains),
		Storage:  autotls.NewStorage(n.model, n.id, autotls.StorageOptions{Logger: log}),
		Handler:  httplimit.Handler(h, httplimit.DefaultBodyReadTimeout),
		Logger:   log,
		Listener: n.conns.Listener,
	})
	if err != nil {
		return nil, fmt.Errorf("automatic HTTPS: %w", err)
	}
	go func() {
		if err, ok := <-srv.Err(); ok {
			n.log.Error("automatic HTTPS listener stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), tlsShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			n.log.Warn("HTTPS requests cut short by shutdown", "err", err)
		}
	}, nil
}
