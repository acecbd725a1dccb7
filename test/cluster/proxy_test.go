package cluster

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/garage-web/garage-web/internal/delayproxy"
)

// newDelayProxy stands in front of one node's RPC port: TCP and UDP
// (memberlist gossip goes to the same rpc_public_addr), each direction
// delayed by oneWay (internal/delayproxy). The node's rpc_public_addr is
// the proxy's address, so every peer reaches it through the proxy; the
// node's own outgoing traffic is delayed by its peers' proxies. With every
// node behind a proxy of one-way delay d, a request/answer between two
// nodes costs 2d more.
func newDelayProxy(name, listen, upstream string, oneWay time.Duration) (*delayproxy.Proxy, error) {
	return delayproxy.New(name, listen, upstream, oneWay, true)
}

// TestDelayProxyTCPAndUDP puts a TCP echo and a UDP echo server behind a
// delay proxy with a 40 ms one-way delay and checks the bytes come back
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
