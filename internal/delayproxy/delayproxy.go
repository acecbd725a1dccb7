// Package delayproxy puts sites far apart on one machine: a proxy in
// front of a server's peer port that delays TCP streams (toxiproxy,
// in-process) and UDP datagrams (memberlist gossip) by a one-way delay in
// each direction. This kernel has no netem; the cluster benchmarks
// (bench/) and the cluster tests (test/cluster/) both use it.
package delayproxy

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Proxy stands in front of one server's peer port and delays what
// goes through it, in each direction, by a one-way delay: TCP through an
// in-process toxiproxy (a latency toxic per direction; toxiproxy stamps
// every chunk when it is read, so a large transfer is delayed, not
// throttled) and, optionally, UDP datagrams (memberlist gossip) through a
// small forwarder on the same address. This kernel has no netem, so this
// is how sites far apart are made on one machine: peers dial the proxy,
// and a request/answer through it costs two one-way delays more.
type Proxy struct {
	tcp *toxiproxy.Proxy
	udp *udpDelay // nil without UDP
}

// Toxic names, one per direction.
var delayToxics = []string{"upstream", "downstream"}

// New listens on listen (TCP, and UDP if udp) and forwards to
// upstream with oneWay added in each direction.
func New(name, listen, upstream string, oneWay time.Duration, udp bool) (*Proxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	tp := toxiproxy.NewProxy(srv, name, listen, upstream)
	if err := tp.Start(); err != nil {
		return nil, fmt.Errorf("delay proxy %s on %s: %w", name, listen, err)
	}
	for _, stream := range delayToxics {
		js := fmt.Sprintf(`{"name":"lat_%s","type":"latency","stream":%q,"attributes":{"latency":%d,"jitter":0}}`, stream, stream, oneWay.Milliseconds())
		if _, err := tp.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
			tp.Stop()
			return nil, fmt.Errorf("delay proxy %s: latency toxic: %w", name, err)
		}
	}
	p := &Proxy{tcp: tp}
	if udp {
		u, err := newUDPDelay(listen, upstream, oneWay)
		if err != nil {
			tp.Stop()
			return nil, fmt.Errorf("delay proxy %s: %w", name, err)
		}
		p.udp = u
	}
	return p, nil
}

// SetDelay changes the one-way delay of new and open connections (in
// milliseconds: toxiproxy's unit).
func (p *Proxy) SetDelay(oneWay time.Duration) error {
	for _, stream := range delayToxics {
		js := fmt.Sprintf(`{"attributes":{"latency":%d,"jitter":0}}`, oneWay.Milliseconds())
		if _, err := p.tcp.Toxics.UpdateToxicJson("lat_"+stream, strings.NewReader(js)); err != nil {
			return fmt.Errorf("delay proxy %s: set delay: %w", p.tcp.Name, err)
		}
	}
	if p.udp != nil {
		p.udp.d.Store(int64(oneWay))
	}
	return nil
}

// Close stops forwarding and closes every connection.
func (p *Proxy) Close() {
	p.tcp.Stop()
	if p.udp != nil {
		p.udp.Close()
	}
}

// udpDelay forwards datagrams from its listener to upstream, and the
// answers back, each after a delay. Every client address gets its own
// socket towards upstream (bound to the listener's IP), so upstream's
// answers to "where the datagram came from" reach the right client.
type udpDelay struct {
	conn     *net.UDPConn
	upstream *net.UDPAddr
	d        atomic.Int64 // time.Duration

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
	u := &udpDelay{conn: conn, upstream: ua, peers: map[string]*net.UDPConn{}}
	u.d.Store(int64(d))
	u.wg.Add(1)
	go u.fromClients()
	return u, nil
}

// later sends pkt with send after the current delay.
func (u *udpDelay) later(pkt []byte, send func([]byte)) {
	d := time.Duration(u.d.Load())
	if d <= 0 {
		send(pkt)
		return
	}
	time.AfterFunc(d, func() { send(pkt) })
}

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
		u.later(append([]byte(nil), buf[:n]...), func(p []byte) { _, _ = peer.Write(p) })
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
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // e.g. ICMP port unreachable while upstream is down
		}
		u.later(append([]byte(nil), buf[:n]...), func(pkt []byte) { _, _ = u.conn.WriteToUDP(pkt, client) })
	}
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
