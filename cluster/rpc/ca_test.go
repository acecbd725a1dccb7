package rpc

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
)

func TestCAIsDeterministic(t *testing.T) {
	secret := mustSecret(t)
	a1, err := newAuthority(secret)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := newAuthority(bytes.Clone(secret))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a1.cert.Raw, a2.cert.Raw) {
		t.Fatal("two derivations from one secret give different CA certificates")
	}
	other, err := newAuthority(mustSecret(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.cert.Raw, a1.cert.Raw) || other.key.Equal(a1.key) {
		t.Fatal("two secrets give the same CA")
	}

	// A leaf from one derivation verifies against the other's pool, not
	// against another secret's.
	leaf, err := a1.issue(mustIdentity(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := x509.VerifyOptions{Roots: a2.pool, DNSName: serverName, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, err := leaf.Leaf.Verify(opts); err != nil {
		t.Fatalf("leaf does not chain to the CA: %v", err)
	}
	opts.Roots = other.pool
	if _, err := leaf.Leaf.Verify(opts); err == nil {
		t.Fatal("leaf chains to another secret's CA")
	}
}

// TestCAGolden pins the CA derived from a fixed secret: if this changes,
// nodes built before and after the change no longer trust each other.
func TestCAGolden(t *testing.T) {
	a, err := newAuthority(make([]byte, SecretSize))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(a.cert.Raw)
	if got := hex.EncodeToString(sum[:]); got != goldenCA {
		t.Fatalf("CA certificate of the zero secret has SHA-256 %s, want %s", got, goldenCA)
	}
}

const goldenCA = "19671223a6ad99153c361f35533dd86b4ecb01ebe526d8d3b491e6c328470aea"
