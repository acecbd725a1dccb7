package cluster

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A real ACME server for the cluster's automatic HTTPS tests: Debian's
// pebble, with every challenge taken as valid (PEBBLE_VA_ALWAYS_VALID, so
// no DNS and no reachable challenge port is needed), behind an in-process
// HTTPS proxy that the nodes use as their ACME directory. The proxy
// counts the orders per name (decoding each new-order request) and can
// hold the next finalize request, which stops an issuance half way
// (order created, authorization valid, no certificate yet) until the test
// has seen who was issuing.

const pebbleReadyTimeout = 20 * time.Second

// acmeCA is pebble plus its proxy.
type acmeCA struct {
	DirURL  string // the ACME directory, through the proxy
	RootPEM string // file: root of the HTTPS certificate of pebble and the proxy
	mgmt    string // pebble's management address
	logPath string
	trust   *x509.CertPool // trusts RootPEM

	mu     sync.Mutex
	orders map[string]int // new-order requests seen by the proxy, by name

	holdNext atomic.Bool   // hold the next finalize request
	held     chan struct{} // closed when a finalize request is being held
	dropped  chan struct{} // closed when its client went away (never forwarded)
	stop     chan struct{} // closed at the end of the test: nothing is held any more
}

// startACME runs pebble and the proxy for the test's duration.
func startACME(t *testing.T) *acmeCA {
	t.Helper()
	bin, err := exec.LookPath("pebble")
	if err != nil {
		t.Skip("pebble is not installed (apt-get install -y pebble)")
	}
	dir := t.TempDir()
	ca := &acmeCA{
		RootPEM: filepath.Join(dir, "listener.pem"),
		logPath: filepath.Join(dir, "pebble.log"),
		orders:  map[string]int{},
		held:    make(chan struct{}),
		dropped: make(chan struct{}),
		stop:    make(chan struct{}),
	}
	keyPath := filepath.Join(dir, "listener.key")
	cert := writeListenerCert(t, ca.RootPEM, keyPath)
	ca.trust = x509.NewCertPool()
	ca.trust.AddCert(cert.Leaf)

	ports := freeTCPPorts(t, 4)
	listen := fmt.Sprintf("127.0.0.1:%d", ports[0])
	ca.mgmt = fmt.Sprintf("127.0.0.1:%d", ports[1])
	cfg, err := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress":           listen,
		"managementListenAddress": ca.mgmt,
		"certificate":             ca.RootPEM,
		"privateKey":              keyPath,
		// Never dialled: every challenge is valid without validation.
		"httpPort":                       ports[2],
		"tlsPort":                        ports[3],
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}})
	must(t, err)
	cfgPath := filepath.Join(dir, "pebble.json")
	must(t, os.WriteFile(cfgPath, cfg, 0o600))
	runHelper(t, ca.logPath, []string{"PEBBLE_VA_ALWAYS_VALID=1", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"},
		bin, "-config", cfgPath)

	upstream := &url.URL{Scheme: "https", Host: listen}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			// pebble writes its URLs from the Host header: keep the
			// proxy's, so the nodes keep talking to the proxy.
			pr.Out.Host = pr.In.Host
		},
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.trust}},
	}
	srv := httptest.NewUnstartedServer(ca.handler(rp))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(ca.stop) }) // before srv.Close, which waits for handlers
	ca.DirURL = srv.URL + "/dir"

	ready := testCtx(t, pebbleReadyTimeout)
	must(t, waitFor(ready, "pebble's directory", ca.getOK("https://"+listen+"/dir")))
	must(t, waitFor(ready, "pebble's directory through the proxy", ca.getOK(ca.DirURL)))
	return ca
}

// getOK is a condition for waitFor: GET url answers 200.
func (ca *acmeCA) getOK(url string) func(context.Context) error {
	client := ca.client()
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

func (ca *acmeCA) client() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.trust}}}
}

// handler counts new orders and holds a finalize request when asked to,
// then forwards to pebble.
func (ca *acmeCA) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/order-plz":
			ca.mu.Lock()
			for _, name := range orderNames(body) {
				ca.orders[name]++
			}
			ca.mu.Unlock()
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/finalize-order/") && ca.holdNext.CompareAndSwap(true, false):
			// The body has been read, so the server notices the client
			// closing the connection and cancels the context.
			close(ca.held)
			select {
			case <-r.Context().Done():
				close(ca.dropped)
			case <-ca.stop:
				http.Error(w, "test over", http.StatusServiceUnavailable)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// orderNames are the DNS identifiers of a new-order request (a JWS whose
// payload is read without checking the signature: pebble checks it).
func orderNames(jws []byte) []string {
	var env struct {
		Payload string `json:"payload"`
	}
	if json.Unmarshal(jws, &env) != nil {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil
	}
	var p struct {
		Identifiers []struct {
			Value string `json:"value"`
		} `json:"identifiers"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return nil
	}
	var out []string
	for _, id := range p.Identifiers {
		out = append(out, id.Value)
	}
	return out
}

// HoldNextFinalize makes the proxy hold the next finalize request until
// its client goes away; Held is closed once it holds one, Dropped once
// that client is gone. One use per acmeCA.
func (ca *acmeCA) HoldNextFinalize()        { ca.holdNext.Store(true) }
func (ca *acmeCA) Held() <-chan struct{}    { return ca.held }
func (ca *acmeCA) Dropped() <-chan struct{} { return ca.dropped }

// OrdersFor is how many new-order requests for name reached the proxy.
func (ca *acmeCA) OrdersFor(name string) int {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.orders[name]
}

var pebbleOrderLine = regexp.MustCompile(`(?m)Added order "[^"]+" to the db`)

// PebbleOrders is how many orders pebble has created, from its log (it
// logs one line per new order).
func (ca *acmeCA) PebbleOrders(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(ca.logPath)
	must(t, err)
	return len(pebbleOrderLine.FindAll(b, -1))
}

// IssuingRoots is the root pebble signs certificates with (new on every
// start), from its management interface.
func (ca *acmeCA) IssuingRoots(ctx context.Context) (*x509.CertPool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+ca.mgmt+"/roots/0", nil)
	if err != nil {
		return nil, err
	}
	resp, err := ca.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("pebble /roots/0: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("pebble /roots/0: %w", err)
	}
	pool := x509.NewCertPool()
	if resp.StatusCode != http.StatusOK || !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("pebble /roots/0: %s %q", resp.Status, clip(string(b)))
	}
	return pool, nil
}

// writeListenerCert writes a self-signed certificate for 127.0.0.1 and
// localhost (pebble's HTTPS listener and the proxy's) and its key.
func writeListenerCert(t *testing.T, certPath, keyPath string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "test ACME listener"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	must(t, os.WriteFile(certPath, certPEM, 0o600))
	must(t, os.WriteFile(keyPath, keyPEM, 0o600))
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	must(t, err)
	return cert
}

// freeTCPPorts are n distinct free ports of 127.0.0.1 (held together while
// chosen, so they differ).
func freeTCPPorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out
}

// runHelper runs a helper process (its output in logPath) until the test
// ends; it dies with the test binary too.
func runHelper(t *testing.T, logPath string, env []string, bin string, args ...string) {
	t.Helper()
	logf, err := os.Create(logPath)
	must(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(killTimeout):
			t.Errorf("%s (pid %d) still running %v after SIGKILL", bin, cmd.Process.Pid, killTimeout)
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > logTailBytes {
				b = b[len(b)-logTailBytes:]
			}
			t.Logf("---- %s log tail ----\n%s", filepath.Base(bin), b)
		}
	})
}
