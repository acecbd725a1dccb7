package cluster

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// delayProxy stands in front of one node's RPC port: TCP through an
// in-process toxiproxy with a latency toxic on each direction, UDP (memberlist
// gossip, which goes to the same rpc_public_addr) through udpDelay. The
// node's rpc_public_addr is the proxy's address, so every peer reaches it
// through the proxy; the node's own outgoing traffic is not delayed (its
// peers' proxies delay it). With every node behind a proxy of one-way delay
// d, a request/answer between two nodes costs 2d more.
type delayProxy struct {
	tcp *toxiproxy.Proxy
	udp *udpDelay
}

func newDelayProxy(name, listen, upstream string, oneWay time.Duration) (*delayProxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, name, listen, upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("delay proxy %s on %s: %w", name, listen, err)
	}
	ms := oneWay.Milliseconds()
	for _, stream := range []string{"upstream", "downstream"} {
		js := fmt.Sprintf(`{"name":"lat_%s","type":"latency","stream":%q,"attributes":{"latency":%d,"jitter":0}}`, stream, stream, ms)
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
			p.Stop()
			return nil, fmt.Errorf("delay proxy %s: latency toxic: %w", name, err)
		}
	}
	u, err := newUDPDelay(listen, upstream, oneWay)
	if err != nil {
		p.Stop()
		return nil, err
	}
	return &delayProxy{tcp: p, udp: u}, nil
}

// Close stops both proxies.
func (p *delayProxy) Close() {
	p.tcp.Stop()
	p.udp.Close()
}

// udpDelay forwards UDP datagrams from listen to upstream and the answers
// back, each delayed by d. Every client address gets its own upstream
// socket (bound to the listener's IP), so upstream answers to "where the
// packet came from" find their way back to the right client.
type udpDelay struct {
	conn     *net.UDPConn
	upstream *net.UDPAddr
	d        time.Duration

	mu     sync.Mutex
	peers  map[string]*net.UDPConn
	closed bool
	wg     sync.WaitGroup
}

func newUDPDelay(listen, upstream string, d time.Duration) (*udpDelay, error) {
	la, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("udp delay: %w", err)
	}
	ua, err := net.ResolveUDPAddr("udp", upstream)
	if err != nil {
		return nil, fmt.Errorf("udp delay: %w", err)
	}
	conn, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("udp delay: %w", err)
	}
	u := &udpDelay{conn: conn, upstream: ua, d: d, peers: map[string]*net.UDPConn{}}
	u.wg.Add(1)
	go u.fromClients()
	return u, nil
}

// Addr is the listening address.
func (u *udpDelay) Addr() string { return u.conn.LocalAddr().String() }

func (u *udpDelay) fromClients() {
	defer u.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, src, err := u.conn.ReadFromUDP(buf)
		if err != nil {
			return // closed
		}
		peer, err := u.peerFor(src)
		if err != nil {
			continue
		}
		pkt := append([]byte(nil), buf[:n]...)
		time.AfterFunc(u.d, func() { _, _ = peer.Write(pkt) })
	}
}

func (u *udpDelay) peerFor(src *net.UDPAddr) (*net.UDPConn, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, net.ErrClosed
	}
	if p := u.peers[src.String()]; p != nil {
		return p, nil
	}
	local := &net.UDPAddr{IP: u.conn.LocalAddr().(*net.UDPAddr).IP}
	p, err := net.DialUDP("udp", local, u.upstream)
	if err != nil {
		return nil, err
	}
	u.peers[src.String()] = p
	u.wg.Add(1)
	go u.fromUpstream(p, src)
	return p, nil
}

func (u *udpDelay) fromUpstream(p *net.UDPConn, client *net.UDPAddr) {
	defer u.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := p.Read(buf)
		if err != nil {
			if isClosed(err) {
				return
			}
			continue // e.g. ICMP port unreachable while the node is down
		}
		pkt := append([]byte(nil), buf[:n]...)
		time.AfterFunc(u.d, func() { _, _ = u.conn.WriteToUDP(pkt, client) })
	}
}

func isClosed(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "use of closed") || err == net.ErrClosed || err == io.EOF)
}

// Close stops forwarding; datagrams still in their delay are dropped.
func (u *udpDelay) Close() {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return
	}
	u.closed = true
	peers := u.peers
	u.peers = nil
	u.mu.Unlock()
	u.conn.Close()
	for _, p := range peers {
		p.Close()
	}
	u.wg.Wait()
}

// TestDelayProxyTCPAndUDP puts a TCP echo and a UDP echo server behind a
// delayProxy with a 40 ms one-way delay and checks the bytes come back
// unchanged and no round trip is faster than the two delays (a lower bound,
// which holds however loaded the machine is).
func TestDelayProxyTCPAndUDP(t *testing.T) {
	t.Parallel()
	const oneWay = 40 * time.Millisecond
	// An address probed free can be taken before we bind it (seen once
	// under -count=3 with other runs on the machine): try a few.
	var ip, up, pub string
	var tl net.Listener
	var err error
	for try := 0; try < 3; try++ {
		ip = loopbackAddrs(t, 1)[0]
		up = net.JoinHostPort(ip, fmt.Sprint(portRPC))
		pub = net.JoinHostPort(ip, fmt.Sprint(portRPCProx))
		if tl, err = net.Listen("tcp", up); err == nil {
			break
		}
	}
	must(t, err)
	defer tl.Close()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	ul, err := net.ListenPacket("udp", up)
	must(t, err)
	defer ul.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := ul.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = ul.WriteTo(buf[:n], from)
		}
	}()

	p, err := newDelayProxy("self-test", pub, up, oneWay)
	must(t, err)
	defer p.Close()

	// TCP: a few request/answer round trips on one connection.
	c, err := net.DialTimeout("tcp", pub, 5*time.Second)
	must(t, err)
	defer c.Close()
	must(t, c.SetDeadline(time.Now().Add(20*time.Second)))
	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("ping %d", i)
		start := time.Now()
		_, err := c.Write([]byte(msg))
		must(t, err)
		got := make([]byte, len(msg))
		_, err = io.ReadFull(c, got)
		must(t, err)
		rtt := time.Since(start)
		if string(got) != msg {
			t.Fatalf("tcp echo: got %q want %q", got, msg)
		}
		if rtt < 2*oneWay {
			t.Fatalf("tcp round trip %v through the proxy, want >= %v", rtt, 2*oneWay)
		}
		t.Logf("tcp round trip %d: %v", i, rtt)
	}

	// UDP: datagrams to the proxy come back from the proxy, delayed.
	uc, err := net.Dial("udp", pub)
	must(t, err)
	defer uc.Close()
	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("gossip %d", i)
		var rtt time.Duration
		// UDP may drop: retry a bounded number of times.
		var got string
		for try := 0; try < 5 && got == ""; try++ {
			start := time.Now()
			_, err := uc.Write([]byte(msg))
			must(t, err)
			must(t, uc.SetReadDeadline(time.Now().Add(2*time.Second)))
			buf := make([]byte, 2048)
			n, err := uc.Read(buf)
			if err != nil {
				continue
			}
			rtt = time.Since(start)
			got = string(buf[:n])
		}
		if got != msg {
			t.Fatalf("udp echo: got %q want %q", got, msg)
		}
		if rtt < 2*oneWay {
			t.Fatalf("udp round trip %v through the forwarder, want >= %v", rtt, 2*oneWay)
		}
		t.Logf("udp round trip %d: %v", i, rtt)
	}
}
