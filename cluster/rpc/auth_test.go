package rpc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
)

// guarded starts a node whose only method counts its calls.
func guarded(t *testing.T, secret []byte, reg prometheus.Registerer) (*node, *atomic.Int32) {
	var calls atomic.Int32
	n := mustNode(t, secret, 1, reg, func(s *Server) {
		s.Handle("test.secret", func(context.Context, cluster.NodeID, []byte) ([]byte, error) {
			calls.Add(1)
			return []byte("the secret data"), nil
		})
	})
	return n, &calls
}

func TestWrongSecretRefused(t *testing.T) {
	reg := prometheus.NewRegistry()
	b, calls := guarded(t, mustSecret(t), reg)
	intruder := mustNode(t, mustSecret(t), 1, nil, nil)
	ctx := testCtx(t)

	for _, method := range []string{"test.secret", PingMethod} {
		_, err := intruder.cli.Call(ctx, b.id.ID, b.addr, method, nil)
		if !errors.Is(err, ErrUnreachable) {
			t.Fatalf("%s with the wrong secret: got %v, want ErrUnreachable", method, err)
		}
	}
	// The other way round: a node with the secret does not talk to a
	// server that lacks it.
	if _, err := b.cli.Call(ctx, intruder.id.ID, intruder.addr, PingMethod, nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("call to a server with another secret: got %v, want ErrUnreachable", err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times for a process without the secret", n)
	}
	if n := counterValue(t, reg, "garageweb_rpc_handshake_failures_total"); n < 1 {
		t.Fatalf("handshake failures counted: %v", n)
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

// selfSigned is a certificate that chains to nothing the cluster knows.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "garage-web cluster CA"},
		DNSNames:     []string{serverName},
		NotBefore:    certNotBefore,
		NotAfter:     certNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestPlainTLSGetsNothing: TLS clients without a cluster certificate, with
// no certificate or a self-signed one, for HTTP/2, HTTP/1.1 or gossip,
// get no byte of application data.
func TestPlainTLSGetsNothing(t *testing.T) {
	b, calls := guarded(t, mustSecret(t), nil)
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
		alpn  []string
	}{
		{"no cert h2", nil, []string{"h2"}},
		{"no cert http1", nil, []string{"http/1.1"}},
		{"no cert no alpn", nil, nil},
		{"no cert gossip", nil, []string{GossipALPN}},
		{"self-signed h2", []tls.Certificate{selfSigned(t)}, []string{"h2"}},
		{"self-signed gossip", []tls.Certificate{selfSigned(t)}, []string{GossipALPN}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := net.Dialer{Timeout: 5 * time.Second}
			raw, err := d.Dial("tcp", b.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if err := raw.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			conn := tls.Client(raw, &tls.Config{
				InsecureSkipVerify: true, // this client trusts anyone; the server must not trust it
				Certificates:       tc.certs,
				NextProtos:         tc.alpn,
				MinVersion:         tls.VersionTLS12,
			})
			// With TLS 1.3 the client may finish its handshake before the
			// server refuses its certificate; then the refusal arrives on read.
			if err := conn.Handshake(); err != nil {
				return
			}
			_, _ = conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nPOST /rpc/test.secret HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
			got, err := io.ReadAll(conn)
			if len(got) != 0 {
				t.Fatalf("read %q from the server", got)
			}
			if err == nil {
				t.Log("connection closed without an alert")
			}
		})
	}
	// Go's own HTTPS client, trusting anything.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	defer hc.CloseIdleConnections()
	if resp, err := hc.Post("https://"+b.addr+"/rpc/test.secret", "application/octet-stream", nil); err == nil {
		resp.Body.Close()
		t.Fatalf("HTTPS client without a certificate got status %d", resp.StatusCode)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times", n)
	}
}

func TestPlainHTTPGetsNothing(t *testing.T) {
	b, calls := guarded(t, mustSecret(t), nil)
	for _, req := range []string{
		"POST /rpc/test.secret HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", // HTTP/2 with prior knowledge
		"\x00\x00\x00\x00garbage",
	} {
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.Dial("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write([]byte(req))
		got, _ := io.ReadAll(conn)
		conn.Close()
		if bytes.Contains(got, []byte("HTTP/")) || bytes.Contains(got, []byte("secret")) {
			t.Fatalf("plain request %q got an answer: %q", req, got)
		}
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if resp, err := hc.Post("http://"+b.addr+"/rpc/test.secret", "application/octet-stream", nil); err == nil {
		resp.Body.Close()
		t.Fatalf("plain HTTP client got status %d", resp.StatusCode)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times", n)
	}
}
