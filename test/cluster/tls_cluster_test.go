package cluster

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	autotls "github.com/garage-web/garage-web/tls"
)

// Automatic HTTPS across a 3-node cluster (RF 3), every node with its own
// HTTPS listener and one pebble behind a counting proxy (pebble_cluster_test.go):
//
//  1. The first HTTPS requests for a new website name reach all three
//     nodes at the same moment (connections opened beforehand, ClientHellos
//     sent after one barrier): all three answer with one certificate that
//     chains to pebble's root, and pebble received exactly one order.
//  2. For a second name, the proxy holds the issuing node's finalize
//     request (order placed, certificate not yet issued); the node that
//     holds the certificate lock (the one whose log says "lock acquired"
//     for the name: only the holder orders) is killed with SIGKILL. A
//     surviving node takes the lock over once the dead node's lease expires
//     and obtains the certificate within a bound; both survivors serve it,
//     exactly one more order was placed, and the killed node, restarted,
//     serves the stored certificate without ordering.
const (
	portTLS          = 3904 // the node's HTTPS listener, on its own address
	httpsTimeout     = 30 * time.Second
	takeoverTimeout  = autotls.DefaultLease + 90*time.Second // kill to certificate served
	holdTimeout      = 90 * time.Second                      // requests to a finalize held
	tlsSiteIndexPage = "<h1>%s over https</h1>"
)

func TestTLSCertificateOncePerCluster(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 10*time.Minute)
	ca := startACME(t)
	c := startCluster(t, ClusterOptions{Nodes: 3})
	must(t, enableTLS(ctx, c, ca))
	roots, err := ca.IssuingRoots(ctx)
	must(t, err)
	const blog, shop = "blog.sites.example.com", "shop.sites.example.com"

	// 1. Simultaneous first requests: one order.
	must(t, publishSite(ctx, c, blog))
	first := httpsAtOnce(ctx, c.Storage(), blog, roots)
	var serial string
	for i, r := range first {
		n := c.Storage()[i]
		if r.err != nil {
			t.Errorf("%s: first HTTPS request for %s: %v", n.Name, blog, r.err)
			continue
		}
		if want := fmt.Sprintf(tlsSiteIndexPage, blog); r.body != want {
			t.Errorf("%s: https://%s/: %q, want %q", n.Name, blog, r.body, want)
		}
		if serial == "" {
			serial = r.serial
		} else if r.serial != serial {
			t.Errorf("%s serves certificate %s for %s, another node %s: want one certificate per cluster", n.Name, r.serial, blog, serial)
		}
	}
	if got := ca.PebbleOrders(t); got != 1 {
		t.Errorf("pebble created %d orders for simultaneous first requests to 3 nodes, want 1", got)
	}
	if got := ca.OrdersFor(blog); got != 1 {
		t.Errorf("%d new-order requests for %s, want 1", got, blog)
	}
	if t.Failed() {
		t.FailNow()
	}
	// How many nodes went for the lock (the others found the certificate
	// stored before they needed it): a fact about this run, not asserted.
	contenders, err := nodesLogging(c.Storage(), "acquiring lock", blog)
	must(t, err)
	t.Logf("%s: 3 simultaneous first requests, %d nodes contending for the issuance lock, 3 answers with certificate %s, 1 order at pebble",
		blog, len(contenders), serial)

	// 2. The lock holder dies half way through the issuance.
	must(t, publishSite(ctx, c, shop))
	ca.HoldNextFinalize()
	pending := make(chan []httpsResult, 1)
	go func() { pending <- httpsAtOnce(ctx, c.Storage(), shop, roots) }()
	select {
	case <-ca.Held():
	case <-time.After(holdTimeout):
		t.Fatalf("no finalize request for %s within %v", shop, holdTimeout)
	}
	holder, err := lockHolder(c.Storage(), shop)
	must(t, err)
	must(t, holder.Kill())
	killed := time.Now()
	select {
	case <-ca.Dropped():
	case <-time.After(killTimeout):
		t.Fatalf("the held finalize request of %s is still open %v after the kill", holder.Name, killTimeout)
	}
	t.Logf("%s held the lock of %s and was killed with its finalize request held (order placed, no certificate)", holder.Name, shop)
	for i, r := range <-pending { // the requests in flight: they fail or wait, either is fine
		t.Logf("%s: first request for %s: serial %q, err %v", c.Storage()[i].Name, shop, r.serial, r.err)
	}

	var survivors []*Node
	for _, n := range c.Storage() {
		if n != holder {
			survivors = append(survivors, n)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, takeoverTimeout)
	defer cancel()
	serials := make([]string, len(survivors))
	must(t, eachNode(survivors, func(n *Node) error {
		i := indexOf(survivors, n)
		return waitFor(tctx, n.Name+" to serve "+shop+" over HTTPS after the lock holder died", func(ctx context.Context) error {
			r := httpsGet(ctx, n, shop, roots)
			serials[i] = r.serial
			return r.err
		})
	}))
	t.Logf("%s: certificate %s served by %s %v after the kill (lease %v)", shop, serials[0], names(survivors), time.Since(killed).Round(time.Second), autotls.DefaultLease)
	if serials[0] != serials[1] {
		t.Errorf("survivors serve certificates %s and %s for %s, want one", serials[0], serials[1], shop)
	}
	if got := ca.OrdersFor(shop); got != 2 {
		t.Errorf("%d orders for %s, want 2 (the dead holder's, then its successor's)", got, shop)
	}
	if got := ca.PebbleOrders(t); got != 3 {
		t.Errorf("pebble created %d orders in all, want 3", got)
	}

	// The killed node comes back and serves the stored certificate.
	must(t, holder.Start(ctx))
	must(t, c.WaitAllUp(ctx, c.Storage()...))
	rctx, rcancel := context.WithTimeout(ctx, httpsTimeout*2)
	defer rcancel()
	var again string
	must(t, waitFor(rctx, holder.Name+" to serve "+shop+" after its restart", func(ctx context.Context) error {
		r := httpsGet(ctx, holder, shop, roots)
		again = r.serial
		return r.err
	}))
	if again != serials[0] {
		t.Errorf("restarted %s serves certificate %s for %s, want the stored %s", holder.Name, again, shop, serials[0])
	}
	if got := ca.OrdersFor(shop); got != 2 {
		t.Errorf("%d orders for %s after the restart, want still 2", got, shop)
	}
}

// tlsAddr is the node's HTTPS listener.
func tlsAddr(n *Node) string {
	host, _, _ := net.SplitHostPort(n.WebAddr())
	return net.JoinHostPort(host, strconv.Itoa(portTLS))
}

// enableTLS restarts every node with an [s3_web.tls] section pointing at
// ca (the harness's config has none; the section is appended to the
// rendered file, which nothing rewrites afterwards in these tests).
func enableTLS(ctx context.Context, c *Cluster, ca *acmeCA) error {
	if err := c.each(func(n *Node) error { return n.Stop() }); err != nil {
		return err
	}
	if err := c.each(func(n *Node) error {
		section := fmt.Sprintf("\n[s3_web.tls]\ntls_bind_addr = %q\nacme_ca = %q\nacme_ca_root = %q\nacme_email = \"ops@example.com\"\n",
			tlsAddr(n), ca.DirURL, ca.RootPEM)
		f, err := os.OpenFile(n.ConfigPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteString(section); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}); err != nil {
		return err
	}
	if err := c.each(func(n *Node) error { return n.Start(ctx) }); err != nil {
		return err
	}
	return c.WaitAllUp(ctx, c.Nodes...)
}

// publishSite creates the website bucket name (a custom domain: the bucket
// is the whole name) with an index page, and waits until every node's web
// endpoint serves it (so every node's TLS policy allows the name).
func publishSite(ctx context.Context, c *Cluster, name string) error {
	n0 := c.Nodes[0]
	s3c := n0.S3(c.Key)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	page := fmt.Sprintf(tlsSiteIndexPage, name)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String("index.html"),
		Body: strings.NewReader(page), ContentType: aws.String("text/html")}); err != nil {
		return fmt.Errorf("put %s/index.html: %w", name, err)
	}
	if _, err := n0.CLI(ctx, "bucket", "website", "--allow", name, "--index-document", "index.html"); err != nil {
		return err
	}
	return c.each(func(n *Node) error {
		return waitFor(ctx, n.Name+" to serve website "+name, func(ctx context.Context) error {
			code, body, err := webGET(ctx, n, name, "/")
			if err != nil {
				return err
			}
			if code != http.StatusOK || string(body) != page {
				return fmt.Errorf("GET / Host %s: %d %q", name, code, body)
			}
			return nil
		})
	})
}

// httpsResult is one HTTPS GET of "/": the body and the certificate's serial.
type httpsResult struct {
	body, serial string
	err          error
}

// httpsAtOnce opens a connection to every node's HTTPS listener, then,
// all at once after a barrier, sends each a TLS handshake for name and a
// GET of "/".
func httpsAtOnce(ctx context.Context, nodes []*Node, name string, roots *x509.CertPool) []httpsResult {
	out := make([]httpsResult, len(nodes))
	conns := make([]net.Conn, len(nodes))
	d := &net.Dialer{Timeout: 5 * time.Second}
	for i, n := range nodes {
		conn, err := d.DialContext(ctx, "tcp", tlsAddr(n))
		if err != nil {
			out[i].err = err
			continue
		}
		conns[i] = conn
	}
	barrier := make(chan struct{})
	done := make(chan struct{})
	for i := range nodes {
		go func() {
			defer func() { done <- struct{}{} }()
			if conns[i] == nil {
				return
			}
			<-barrier
			out[i] = httpsOver(ctx, conns[i], name, roots)
		}()
	}
	close(barrier)
	for range nodes {
		<-done
	}
	return out
}

// httpsGet is one HTTPS GET of https://name/ on a new connection to n.
func httpsGet(ctx context.Context, n *Node, name string, roots *x509.CertPool) httpsResult {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", tlsAddr(n))
	if err != nil {
		return httpsResult{err: err}
	}
	return httpsOver(ctx, conn, name, roots)
}

// httpsOver runs the TLS handshake for name on conn (the certificate must
// chain to roots and be valid for name), GETs "/" and closes conn.
func httpsOver(ctx context.Context, conn net.Conn, name string, roots *x509.CertPool) httpsResult {
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, httpsTimeout)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	tc := tls.Client(conn, &tls.Config{ServerName: name, RootCAs: roots, NextProtos: []string{"http/1.1"}})
	if err := tc.HandshakeContext(ctx); err != nil {
		return httpsResult{err: fmt.Errorf("TLS handshake for %s at %s: %w", name, conn.RemoteAddr(), err)}
	}
	leaf := tc.ConnectionState().PeerCertificates[0]
	r := httpsResult{serial: leaf.SerialNumber.Text(16)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+name+"/", nil)
	if err != nil {
		r.err = err
		return r
	}
	req.Close = true
	if err := req.Write(tc); err != nil {
		r.err = fmt.Errorf("GET https://%s/: %w", name, err)
		return r
	}
	resp, err := http.ReadResponse(bufio.NewReader(tc), req)
	if err != nil {
		r.err = fmt.Errorf("GET https://%s/: %w", name, err)
		return r
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.err = fmt.Errorf("GET https://%s/: body: %w", name, err)
		return r
	}
	r.body = string(b)
	if resp.StatusCode != http.StatusOK {
		r.err = fmt.Errorf("GET https://%s/: %s %q", name, resp.Status, clip(r.body))
	}
	return r
}

// lockHolder is the node holding certmagic's issuance lock for name while
// an issuance is under way: the only node whose log has "lock acquired"
// for it (only a holder orders, and it releases only when done).
func lockHolder(nodes []*Node, name string) (*Node, error) {
	holders, err := nodesLogging(nodes, "lock acquired", name)
	if err != nil {
		return nil, err
	}
	if len(holders) != 1 {
		return nil, errors.New("want exactly one node logging \"lock acquired\" for " + name + ", got [" + names(holders) + "]")
	}
	return holders[0], nil
}

// nodesLogging are the nodes whose log has a line with both msg and name.
func nodesLogging(nodes []*Node, msg, name string) ([]*Node, error) {
	var out []*Node
	for _, n := range nodes {
		b, err := os.ReadFile(n.LogPath)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, msg) && strings.Contains(line, name) {
				out = append(out, n)
				break
			}
		}
	}
	return out, nil
}

func indexOf(ns []*Node, n *Node) int {
	for i, m := range ns {
		if m == n {
			return i
		}
	}
	return -1
}
