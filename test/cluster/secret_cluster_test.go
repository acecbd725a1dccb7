package cluster

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestNoSecretNoAccess: a garage-web node with a different rpc_secret that
// bootstraps from the cluster never appears in any node's status (nor the
// cluster in its); plain TCP, HTTP and TLS (with and without a client
// certificate) connections to the RPC port get no data.
//
// Absence is watched over a fixed window (observeFor) while the rogue node
// keeps trying: there is no event that proves "never".
func TestNoSecretNoAccess(t *testing.T) {
	t.Parallel()
	const observeFor = 10 * time.Second
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3})

	// The rogue: same everything, other secret.
	ip := loopbackAddrs(t, 1)[0]
	rc := &Cluster{Secret: randHex(32), opts: c.opts}
	dir := filepath.Join(t.TempDir(), "rogue")
	cfg := rc.baseConfig(dir, ip)
	cfg.BootstrapPeers = c.peersOf(nil)
	rogue, err := newNode("rogue", dir, cfg, "", nil)
	must(t, err)
	rc.Nodes = []*Node{rogue}
	t.Cleanup(func() { rc.shutdown(t) })
	must(t, rogue.Start(ctx))
	rid, err := rogue.NodeID(ctx)
	must(t, err)
	// Also ask it explicitly to connect.
	_, cerr := rogue.CLI(ctx, "node", "connect", c.Nodes[0].ID+"@"+c.Nodes[0].RPCPublicAddr())
	t.Logf("rogue %.8s: node connect to n0: %v", rid, cerr)

	deadline := time.Now().Add(observeFor)
	checks := 0
	for time.Now().Before(deadline) {
		for _, n := range c.Nodes {
			st, err := n.Status(ctx)
			must(t, err)
			for _, p := range st.Nodes {
				if p.ID == rid {
					t.Fatalf("%s lists the node without the secret (%.8s, up=%v)", n.Name, rid, p.IsUp)
				}
			}
		}
		up, err := rogue.UpPeers(ctx)
		must(t, err)
		for _, n := range c.Nodes {
			if up[n.ID] {
				t.Fatalf("the node without the secret sees %s up", n.Name)
			}
		}
		checks++
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
	t.Logf("rogue node never listed by the cluster nor seeing it (%d checks over %v)", checks, observeFor)

	rpc := c.Nodes[0].RPCAddr()
	probe := func(name string, talk func(net.Conn) ([]byte, error)) {
		t.Helper()
		conn, err := net.DialTimeout("tcp", rpc, 5*time.Second)
		must(t, err)
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		got, err := talk(conn)
		if leaked(got) {
			t.Fatalf("%s to the RPC port got data: %q (err %v)", name, clip(string(got)), err)
		}
		t.Logf("%s to the RPC port: %d bytes (%s), %v", name, len(got), describeReply(got), err)
	}
	readAll := func(conn net.Conn) ([]byte, error) {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				return b.Bytes(), err
			}
		}
	}
	probe("plain TCP, silent", readAll)
	probe("plain HTTP", func(conn net.Conn) ([]byte, error) {
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		return readAll(conn)
	})
	probe("HTTP/2 preface", func(conn net.Conn) ([]byte, error) {
		_, _ = conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
		return readAll(conn)
	})
	tlsProbe := func(certs []tls.Certificate) func(net.Conn) ([]byte, error) {
		return func(conn net.Conn) ([]byte, error) {
			tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, Certificates: certs, NextProtos: []string{"h2", "http/1.1"}})
			if err := tc.Handshake(); err != nil {
				return nil, err
			}
			fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			var b bytes.Buffer
			buf := make([]byte, 4096)
			for {
				n, err := tc.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					return b.Bytes(), err
				}
			}
		}
	}
	probe("TLS without client certificate", tlsProbe(nil))
	probe("TLS with a self-signed client certificate", tlsProbe([]tls.Certificate{selfSigned(t)}))
}

// leaked reports application data in a reply: anything but nothing, a TLS
// alert record, or Go's fixed "HTTP request to an HTTPS server" answer.
func leaked(b []byte) bool {
	switch {
	case len(b) == 0:
		return false
	case b[0] == 0x15: // TLS alert
		return false
	case bytes.Contains(b, []byte("Client sent an HTTP request to an HTTPS server")):
		return false
	}
	return true
}

func describeReply(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == 0x15:
		return "TLS alert"
	default:
		return "net/http's HTTP-to-HTTPS refusal"
	}
}

func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "intruder"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
