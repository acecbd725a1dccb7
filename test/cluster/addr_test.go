package cluster

import (
	"crypto/rand"
	"fmt"
	"net"
	"sync"
	"testing"
)

// Fixed ports on every node address. Each node has its own loopback
// address, so the ports never collide between nodes or parallel tests.
const (
	portS3      = 3900
	portRPC     = 3901 // TCP (RPC) and UDP (gossip)
	portWeb     = 3902
	portAdmin   = 3903
	portRPCProx = 4901 // the node's delaying proxy (TCP and UDP), when latency is on
)

// loopbackPool hands out node addresses 127.A.B.C. A and B are random per
// test binary run, so two runs (or this package and another one run by
// `go test ./...`) are unlikely to meet; every address is probed before it
// is given out, and an address with any port taken is skipped. Shared by the
// parallel tests of the package, hence the mutex.
type loopbackPool struct {
	mu   sync.Mutex
	a, b byte
	next int // last octet of the next address to try
}

var addrPool = newLoopbackPool()

func newLoopbackPool() *loopbackPool {
	var r [2]byte
	_, _ = rand.Read(r[:])
	// 127.16.0.0 .. 127.239.255.255: away from 127.0.0.x that other tests use.
	return &loopbackPool{a: 16 + r[0]%224, b: r[1], next: 2}
}

// take returns n free node addresses (IPs without port).
func (p *loopbackPool) take(n int) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for len(out) < n {
		if p.next > 254 {
			p.next = 2
			p.b++
		}
		ip := fmt.Sprintf("127.%d.%d.%d", p.a, p.b, p.next)
		p.next++
		if err := probeAddr(ip); err != nil {
			continue
		}
		out = append(out, ip)
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// probeAddr binds every port a node (and its proxy) would use on ip.
func probeAddr(ip string) error {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	for _, port := range []int{portS3, portRPC, portWeb, portAdmin, portRPCProx} {
		addr := net.JoinHostPort(ip, fmt.Sprint(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("probe %s: %w", addr, err)
		}
		closers = append(closers, l.Close)
	}
	for _, port := range []int{portRPC, portRPCProx} {
		addr := net.JoinHostPort(ip, fmt.Sprint(port))
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("probe udp %s: %w", addr, err)
		}
		closers = append(closers, c.Close)
	}
	return nil
}

// loopbackAddrs gives a test n node addresses of its own.
func loopbackAddrs(t testing.TB, n int) []string {
	t.Helper()
	ips, err := addrPool.take(n)
	if err != nil {
		t.Fatal(err)
	}
	return ips
}

func TestLoopbackAddrsDistinctAndBindable(t *testing.T) {
	t.Parallel()
	a := loopbackAddrs(t, 3)
	b := loopbackAddrs(t, 3)
	seen := map[string]bool{}
	for _, ip := range append(a, b...) {
		if seen[ip] {
			t.Fatalf("address %s handed out twice", ip)
		}
		seen[ip] = true
		if net.ParseIP(ip) == nil || !net.ParseIP(ip).IsLoopback() {
			t.Fatalf("%s is not a loopback address", ip)
		}
	}
	// Taken ports make an address unusable: occupy one and probe it.
	l, err := net.Listen("tcp", net.JoinHostPort(a[0], fmt.Sprint(portAdmin)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := probeAddr(a[0]); err == nil {
		t.Fatal("probeAddr accepted an address whose admin port is taken")
	}
	t.Logf("6 distinct loopback node addresses, all ports bindable: %v %v", a, b)
}
