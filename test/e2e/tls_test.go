package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Automatic HTTPS against a real ACME server: Debian's pebble, validating
// challenges for real (no PEBBLE_VA_ALWAYS_VALID) against the node's
// listeners, with pebble-challtestsrv as its DNS server (every name is
// 127.0.0.1).
//
//  1. The node serves HTTPS on pebble's TLS-ALPN port and has no HTTP
//     listener: blog.sites.example.com gets a certificate through
//     TLS-ALPN-01, exactly one order. Names that are not websites get no
//     certificate (the handshake fails) and pebble sees no order.
//  2. The node restarts with HTTPS on another port and an HTTP listener
//     on pebble's HTTP-01 port: blog's certificate comes from the cluster
//     storage (same serial, no new order); a new site, shop, can only be
//     validated through HTTP-01 (pebble's TLS-ALPN port is now closed) and
//     gets its certificate; plain HTTP redirects to HTTPS.
const (
	pebbleReadyTimeout = 20 * time.Second
	tlsClientTimeout   = 60 * time.Second // one HTTPS request, issuance included
)

// pebbleCA is a running pebble with its DNS server.
type pebbleCA struct {
	DirURL   string // ACME directory
	RootPEM  string // file: the root of pebble's own HTTPS certificate
	mgmt     string // management address
	logPath  string
	ownRoots *x509.CertPool
}

// startPebble runs pebble-challtestsrv (DNS) and pebble, validating
// HTTP-01 on httpPort and TLS-ALPN-01 on tlsPort of 127.0.0.1.
func startPebble(t *testing.T, httpPort, tlsPort int) *pebbleCA {
	t.Helper()
	pebbleBin := requireTool(t, "pebble", "pebble")
	dnsBin := requireTool(t, "pebble-challtestsrv", "pebble")
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certPath, keyPath)

	ports := freePorts(t, 3)
	dnsPort := freeUDPPort(t)
	p := &pebbleCA{
		DirURL:  fmt.Sprintf("https://127.0.0.1:%d/dir", ports[0]),
		RootPEM: certPath,
		mgmt:    fmt.Sprintf("127.0.0.1:%d", ports[1]),
		logPath: filepath.Join(dir, "pebble.log"),
	}
	cfg, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"managementListenAddress":        p.mgmt,
		"certificate":                    certPath,
		"privateKey":                     keyPath,
		"httpPort":                       httpPort,
		"tlsPort":                        tlsPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}})
	cfgPath := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, filepath.Join(dir, "dns.log"), nil, dnsBin,
		"-dns01", fmt.Sprintf("127.0.0.1:%d", dnsPort), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-management", fmt.Sprintf("127.0.0.1:%d", ports[2]))
	startProcess(t, p.logPath, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"}, pebbleBin,
		"-config", cfgPath, "-dnsserver", fmt.Sprintf("127.0.0.1:%d", dnsPort))

	p.ownRoots = x509.NewCertPool()
	p.ownRoots.AppendCertsFromPEM(mustFile(t, certPath))
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ownRoots}}}
	deadline := time.Now().Add(pebbleReadyTimeout)
	for {
		resp, err := client.Get(p.DirURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble not ready after %v (last: %v); log:\n%s", pebbleReadyTimeout, err, p.Log(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// IssuingRoots is the root pebble signs certificates with (new on every
// start), from its management interface.
func (p *pebbleCA) IssuingRoots(t *testing.T) *x509.CertPool {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ownRoots}}}
	resp, err := client.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		t.Fatalf("pebble /roots/0: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if resp.StatusCode != 200 || !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble /roots/0: %s %q", resp.Status, clip(string(b)))
	}
	return pool
}

// Log is pebble's log so far.
func (p *pebbleCA) Log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var pebbleOrderRE = regexp.MustCompile(`(?m)Added order "[^"]+" to the db`)

// Orders is the number of orders pebble has received.
func (p *pebbleCA) Orders(t *testing.T) int { return len(pebbleOrderRE.FindAllString(p.Log(t), -1)) }

// startProcess runs a helper process for the test's duration, its output
// in logPath; it is killed (with its process group) at the end.
func startProcess(t *testing.T, logPath string, env []string, bin string, args ...string) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s (pid %d) still running 10s after SIGKILL", bin, cmd.Process.Pid)
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

// writeSelfSigned writes a self-signed certificate for localhost and
// 127.0.0.1 (pebble's own HTTPS listener) and its key.
func writeSelfSigned(t *testing.T, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "pebble test listener"},
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
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freeUDPPort is a port free for both UDP and TCP on 127.0.0.1 (a DNS
// server listens on both).
func freeUDPPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		c.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

// httpsTo is an HTTPS client that reaches every name at 127.0.0.1:port
// (like curl --resolve) and trusts roots only.
func httpsTo(port int, roots *x509.CertPool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: tlsClientTimeout,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", port))
			},
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// getSite fetches https://name:port/ and checks the certificate is for
// name; it returns the body and the certificate's serial.
func getSite(t *testing.T, port int, roots *x509.CertPool, name string) (string, string) {
	t.Helper()
	resp, err := httpsTo(port, roots).Get(fmt.Sprintf("https://%s:%d/", name, port))
	if err != nil {
		t.Fatalf("GET https://%s:%d/: %v", name, port, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET https://%s:%d/: %s %q", name, port, resp.Status, clip(string(body)))
	}
	leaf := resp.TLS.PeerCertificates[0]
	if err := leaf.VerifyHostname(name); err != nil {
		t.Errorf("certificate served for %s: %v (names %q)", name, err, leaf.DNSNames)
	}
	return string(body), leaf.SerialNumber.Text(16)
}

// handshakeFails checks that the node gives no certificate for
// serverName ("" sends no SNI, as for an IP address), even to a client
// that would accept any.
func handshakeFails(t *testing.T, port int, serverName string) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", fmt.Sprintf("127.0.0.1:%d", port),
		&tls.Config{ServerName: serverName, InsecureSkipVerify: true}) // the server must refuse, not the client
	if err == nil {
		names := conn.ConnectionState().PeerCertificates[0].DNSNames
		conn.Close()
		t.Errorf("TLS handshake for %q succeeded with a certificate for %q, want no certificate", serverName, names)
	}
}

// publishTLSSite creates bucket name with an index page and enables
// website access.
func publishTLSSite(t *testing.T, n *Node, k Key, name, page string) {
	t.Helper()
	n.CreateBucket(t, name, k)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := n.S3(k).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String("index.html"),
		Body: strings.NewReader(page), ContentType: aws.String("text/html")}); err != nil {
		t.Fatalf("put %s/index.html: %v", name, err)
	}
	n.CLI(t, "bucket", "website", name, "--allow", "--index-document", "index.html")
}

// setTLSConfig replaces the node's configuration by base plus an
// [s3_web.tls] section.
func setTLSConfig(t *testing.T, n *Node, base []byte, section string) {
	t.Helper()
	if err := os.WriteFile(n.ConfigPath, append(bytes.Clone(base), []byte("\n[s3_web.tls]\n"+section)...), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLSAutomaticHTTPS(t *testing.T) {
	ports := freePorts(t, 3)
	tls1, tls2, httpPort := ports[0], ports[1], ports[2]
	ca := startPebble(t, httpPort, tls1)

	n := startNode(t)
	base := mustFile(t, n.ConfigPath)
	k := n.NewKey(t, "tls-sites")
	const blog, shop = "blog.sites.example.com", "shop.sites.example.com"
	publishTLSSite(t, n, k, blog, "<h1>blog over https</h1>")
	n.CreateBucket(t, "private.sites.example.com", k) // a bucket, no website

	// 1. HTTPS only, on pebble's TLS-ALPN-01 port.
	n.Stop(t)
	setTLSConfig(t, n, base, fmt.Sprintf("tls_bind_addr = \"127.0.0.1:%d\"\nacme_ca = %q\nacme_ca_root = %q\nacme_email = \"ops@example.com\"\n",
		tls1, ca.DirURL, ca.RootPEM))
	n.Start(t)
	roots := ca.IssuingRoots(t)
	body, serial := getSite(t, tls1, roots, blog)
	if body != "<h1>blog over https</h1>" {
		t.Errorf("https://%s/: %q", blog, body)
	}
	if got := ca.Orders(t); got != 1 {
		t.Errorf("pebble received %d orders for one site, want 1", got)
	}
	if !strings.Contains(n.LogTail(), "challenge=tls-alpn-01") {
		t.Errorf("no TLS-ALPN-01 challenge answered in the node log")
	}
	for _, name := range []string{"nope.sites.example.com", "private.sites.example.com", "x." + blog, ""} {
		handshakeFails(t, tls1, name)
	}
	if got := ca.Orders(t); got != 1 {
		t.Errorf("pebble received %d orders, want still 1 after handshakes for names that are not websites", got)
	}
	for _, name := range []string{"nope.sites", "private.sites"} {
		if strings.Contains(ca.Log(t), name) {
			t.Errorf("pebble heard of %s", name)
		}
	}

	// 2. Restart: HTTPS on another port, HTTP on pebble's HTTP-01 port.
	n.Stop(t)
	setTLSConfig(t, n, base, fmt.Sprintf("tls_bind_addr = \"127.0.0.1:%d\"\nhttp_bind_addr = \"127.0.0.1:%d\"\nacme_ca = %q\nacme_ca_root = %q\nacme_email = \"ops@example.com\"\n",
		tls2, httpPort, ca.DirURL, ca.RootPEM))
	n.Start(t)
	if _, again := getSite(t, tls2, roots, blog); again != serial {
		t.Errorf("after a restart, %s has certificate %s, want the stored %s", blog, again, serial)
	}
	if got := ca.Orders(t); got != 1 {
		t.Errorf("pebble received %d orders after a restart, want still 1 (the stored certificate reused)", got)
	}

	publishTLSSite(t, n, k, shop, "<h1>shop</h1>")
	if body, _ := getSite(t, tls2, roots, shop); body != "<h1>shop</h1>" {
		t.Errorf("https://%s/: %q", shop, body)
	}
	if !strings.Contains(ca.Log(t), shop) {
		t.Errorf("pebble validated no challenge for %s", shop)
	}
	if !strings.Contains(n.LogTail(), "challenge=http-01") {
		t.Errorf("no HTTP-01 challenge answered in the node log (pebble's TLS-ALPN port is closed, so it had to be)")
	}

	// 3. A custom domain (a bucket alias, as `site domain add` makes)
	// gets its own certificate on its first handshake and serves the site.
	const custom = "www.custom-domain.example.org"
	n.CLI(t, "bucket", "alias", blog, custom)
	if body, _ := getSite(t, tls2, roots, custom); body != "<h1>blog over https</h1>" {
		t.Errorf("https://%s/ (an alias of %s): %q", custom, blog, body)
	}
	if !strings.Contains(ca.Log(t), custom) {
		t.Errorf("pebble validated no challenge for the custom domain %s", custom)
	}

	// Plain HTTP redirects to HTTPS, same host and path.
	resp, err := httpsTo(httpPort, nil).Get(fmt.Sprintf("http://%s:%d/a/b.html?x=1", blog, httpPort))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := fmt.Sprintf("https://%s:%d/a/b.html?x=1", blog, tls2); resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("http://%s/a/b.html?x=1: %d Location %q, want 308 to %s", blog, resp.StatusCode, resp.Header.Get("Location"), want)
	}
}
