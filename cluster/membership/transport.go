package membership

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/hashicorp/memberlist"
)

// transport is memberlist's Transport: packets over a UDP socket bound to
// the RPC port's number, streams through a StreamTransport.
type transport struct {
	udp       *net.UDPConn
	streams   StreamTransport
	log       *slog.Logger
	advIP     net.IP
	advPort   int
	packetCh  chan *memberlist.Packet
	streamCh  chan net.Conn
	id        cluster.NodeID
	key       []byte // gossip key, for identity probes
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

var _ memberlist.NodeAwareTransport = (*transport)(nil)

// maxPacket is the largest UDP datagram read; memberlist sends at most
// UDPBufferSize (1400) bytes, the rest is slack.
const maxPacket = 65536

func newTransport(bind string, advIP net.IP, advPort int, streams StreamTransport, id cluster.NodeID, key []byte, log *slog.Logger) (*transport, error) {
	ua, err := net.ResolveUDPAddr("udp", bind)
	if err != nil {
		return nil, fmt.Errorf("membership: resolve bind address %q: %w", bind, err)
	}
	udp, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("membership: listen for gossip packets on %s: %w", bind, err)
	}
	// A larger receive buffer absorbs bursts of gossip; best effort.
	_ = udp.SetReadBuffer(2 << 20)
	t := &transport{
		udp:      udp,
		streams:  streams,
		log:      log,
		advIP:    advIP,
		advPort:  advPort,
		packetCh: make(chan *memberlist.Packet),
		streamCh: make(chan net.Conn),
		id:       id,
		key:      key,
		done:     make(chan struct{}),
	}
	t.wg.Add(2)
	go t.readPackets()
	go t.acceptStreams()
	return t, nil
}

// localAddr returns the UDP address bound.
func (t *transport) localAddr() *net.UDPAddr { return t.udp.LocalAddr().(*net.UDPAddr) }

func (t *transport) readPackets() {
	defer t.wg.Done()
	buf := make([]byte, maxPacket)
	for {
		n, from, err := t.udp.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.Warn("gossip packet read failed", "err", err)
			continue
		}
		if n < 1 {
			continue
		}
		p := &memberlist.Packet{Buf: append([]byte(nil), buf[:n]...), From: from, Timestamp: now}
		select {
		case t.packetCh <- p:
		case <-t.done:
			return
		}
	}
}

// FinalAdvertiseAddr implements memberlist.Transport: the address
// resolved from Config.AdvertiseAddr, whatever memberlist passes.
func (t *transport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return t.advIP, t.advPort, nil
}

// WriteTo implements memberlist.Transport.
func (t *transport) WriteTo(b []byte, addr string) (time.Time, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return time.Time{}, fmt.Errorf("membership: resolve %q: %w", addr, err)
	}
	_, err = t.udp.WriteTo(b, ua)
	return time.Now(), err
}

// WriteToAddress implements memberlist.NodeAwareTransport.
func (t *transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

// PacketCh implements memberlist.Transport.
func (t *transport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// DialTimeout implements memberlist.Transport.
func (t *transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return t.streams.DialStream(ctx, addr)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport.
func (t *transport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}

// StreamCh implements memberlist.Transport.
func (t *transport) StreamCh() <-chan net.Conn { return t.streamCh }

// acceptStreams takes the streams accepted for us and sorts them: identity
// probes are answered here, the rest go to memberlist.
func (t *transport) acceptStreams() {
	defer t.wg.Done()
	for {
		select {
		case <-t.done:
			return
		case c := <-t.streams.Streams():
			t.wg.Add(1)
			go t.sortStream(c)
		}
	}
}

func (t *transport) sortStream(c net.Conn) {
	defer t.wg.Done()
	_ = c.SetDeadline(time.Now().Add(idProbeTimeout))
	first := make([]byte, 1)
	if _, err := io.ReadFull(c, first); err != nil {
		_ = c.Close()
		return
	}
	if first[0] == idProbeByte {
		if err := answerIDProbe(c, t.key, t.id); err != nil {
			t.log.Debug("membership: identity probe not answered", "from", c.RemoteAddr(), "err", err)
		}
		_ = c.Close()
		return
	}
	_ = c.SetDeadline(time.Time{}) // memberlist sets its own
	select {
	case t.streamCh <- &peekedConn{Conn: c, first: first}:
	case <-t.done:
		_ = c.Close()
	}
}

// Shutdown implements memberlist.Transport: it closes the UDP socket; the
// StreamTransport belongs to the caller.
func (t *transport) Shutdown() error {
	var err error
	t.closeOnce.Do(func() {
		close(t.done)
		err = t.udp.Close()
		t.wg.Wait()
	})
	return err
}

// resolveHostPort resolves host:port to one IP (IPv4 first) and a port.
func resolveHostPort(ctx context.Context, hostport string) (net.IP, int, error) {
	host, sport, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, 0, err
	}
	port, err := strconv.ParseUint(sport, 10, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("port %q: %w", sport, err)
	}
	ips, err := resolveHost(ctx, host)
	if err != nil {
		return nil, 0, err
	}
	return ips[0], int(port), nil
}

// resolveHost returns the IPs of host, IPv4 first.
func resolveHost(ctx context.Context, host string) ([]net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []net.IP{ip}, nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var v4, v6 []net.IP
	for _, a := range addrs {
		if ip4 := a.IP.To4(); ip4 != nil {
			v4 = append(v4, ip4)
		} else {
			v6 = append(v6, a.IP)
		}
	}
	ips := append(v4, v6...)
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s: no address", host)
	}
	return ips, nil
}
