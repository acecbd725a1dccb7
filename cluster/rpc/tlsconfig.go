package rpc

import (
	"crypto/tls"
	"fmt"

	"github.com/garage-web/garage-web/cluster"
)

// alpnH2 is HTTP/2's ALPN name.
const alpnH2 = "h2"

// GossipALPN is the ALPN protocol of memberlist streams on the RPC port.
const GossipALPN = "garage-web-gossip/1"

// serverTLS accepts only clients whose certificate chains to the CA, for
// HTTP/2 calls or gossip streams.
func serverTLS(a *authority, leaf tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{leaf},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    a.pool,
		NextProtos:   []string{alpnH2, GossipALPN},
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := peerID(cs)
			return err
		},
	}
}

// clientTLS dials a server whose certificate chains to the CA, speaking
// proto; when want is not zero the server must be that node.
func clientTLS(a *authority, leaf tls.Certificate, proto string, want cluster.NodeID) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{leaf},
		RootCAs:      a.pool,
		ServerName:   serverName,
		NextProtos:   []string{proto},
		VerifyConnection: func(cs tls.ConnectionState) error {
			got, err := peerID(cs)
			if err != nil {
				return err
			}
			if !want.IsZero() && got != want {
				return fmt.Errorf("%w: connected to %s but expected node %s", ErrWrongNode, got.Short(), want.Short())
			}
			if cs.NegotiatedProtocol != proto {
				return fmt.Errorf("rpc: peer negotiated protocol %q, want %q", cs.NegotiatedProtocol, proto)
			}
			return nil
		},
	}
}
