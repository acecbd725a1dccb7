package rpc

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// SecretSize is the length of the rpc secret, in bytes.
const SecretSize = 32

const (
	// caLabel separates the CA key from anything else derived from the
	// secret; changing it (or any CA field below) splits old and new nodes.
	caLabel = "garage-web rpc ca v1"
	// serverName is the DNS name every leaf carries and every client
	// verifies: node ids, not host names, identify peers.
	serverName = "rpc.garage-web.invalid"
)

var (
	certNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	// RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration".
	certNotAfter = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// authority is the cluster CA derived from the rpc secret.
type authority struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
	pool *x509.CertPool
}

// newAuthority derives the CA key from secret and builds its self-signed
// certificate. Every input is fixed and Ed25519 signatures are
// deterministic, so the certificate's bytes depend on the secret only.
func newAuthority(secret []byte) (*authority, error) {
	if len(secret) != SecretSize {
		return nil, fmt.Errorf("rpc secret: %d bytes, want %d", len(secret), SecretSize)
	}
	seed, err := hkdf.Key(sha256.New, secret, nil, caLabel, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("rpc secret: derive CA key: %w", err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	ski := sha256.Sum256(pub)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"garage-web"}, CommonName: "garage-web cluster CA"},
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski[:20],
	}
	// Ed25519 signing reads no randomness; rand is only there for the API.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, fmt.Errorf("rpc: build CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("rpc: parse CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{cert: cert, key: key, pool: pool}, nil
}

// issue signs a leaf certificate for id, good for both ends of a
// connection.
func (a *authority) issue(id cluster.Identity) (tls.Certificate, error) {
	if len(id.Key) != ed25519.PrivateKeySize {
		return tls.Certificate{}, errors.New("rpc: identity has no Ed25519 private key")
	}
	pub := id.Key.Public().(ed25519.PublicKey)
	if cluster.NodeIDOf(pub) != id.ID {
		return tls.Certificate{}, fmt.Errorf("rpc: identity %s does not match its key", id.ID.Short())
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("rpc: leaf serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"garage-web"}, CommonName: id.ID.String()},
		DNSNames:     []string{serverName},
		NotBefore:    certNotBefore,
		NotAfter:     certNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, pub, a.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("rpc: issue leaf certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("rpc: parse leaf certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: id.Key, Leaf: leaf}, nil
}

// peerID returns the node id in the verified leaf of a connection.
func peerID(cs tls.ConnectionState) (cluster.NodeID, error) {
	if len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return cluster.NodeID{}, errors.New("rpc: peer presented no verified certificate")
	}
	pub, ok := cs.PeerCertificates[0].PublicKey.(ed25519.PublicKey)
	if !ok {
		return cluster.NodeID{}, fmt.Errorf("rpc: peer key is %T, want Ed25519", cs.PeerCertificates[0].PublicKey)
	}
	return cluster.NodeIDOf(pub), nil
}
