package rpc

import (
	"crypto/tls"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// Config is what a Server or a Client needs. The same Config serves both.
type Config struct {
	// Identity is this node's key; its leaf certificate is issued for it.
	Identity cluster.Identity
	// Secret is the cluster's rpc secret, SecretSize bytes.
	Secret []byte
	// Clock is the node's hybrid clock: stamped on every message sent,
	// advanced by every message received. Required.
	Clock Clock
	// Log receives connection and handler failures; nil discards them.
	Log *slog.Logger
	// Registerer, when not nil, receives the package's metrics.
	Registerer prometheus.Registerer
}

// setup validates c and derives the CA and this node's leaf certificate.
func (c Config) setup() (*authority, tls.Certificate, *slog.Logger, error) {
	if c.Clock == nil {
		return nil, tls.Certificate{}, nil, errors.New("rpc: Config.Clock is required")
	}
	a, err := newAuthority(c.Secret)
	if err != nil {
		return nil, tls.Certificate{}, nil, err
	}
	leaf, err := a.issue(c.Identity)
	if err != nil {
		return nil, tls.Certificate{}, nil, err
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return a, leaf, log, nil
}
