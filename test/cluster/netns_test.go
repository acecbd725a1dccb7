package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Netns is a small private network: a hub namespace holding a bridge
// (10.A.B.1/24), and one namespace per host with a veth whose peer is
// plugged into the bridge. The test process reaches hosts from the hub
// (DialContext), so "clients" sit on the hub side. Cut/Heal take a host's
// hub-side veth down/up; a site is several hosts cut together.
//
// Names are unique per run (prefix gwc<6 hex>); Close deletes every
// namespace (which deletes the veths and the bridge with them). The 10.A.B.0
// addresses exist only inside these namespaces, never on the host.
type Netns struct {
	prefix string
	subnet string // "10.A.B"
	hub    string // hub namespace name

	mu    sync.Mutex
	hosts map[string]*nsHost
	nsAll []string // every namespace created, for Close
}

type nsHost struct {
	ns   string
	ip   string
	veth string // hub-side interface name
}

// newNetns creates the hub (root only; the test fails otherwise) and
// registers its deletion.
func newNetns(t testing.TB) *Netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces need root (ip netns): run the cluster tests as root, as .ci/run does")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("ip (iproute2) not found: apt-get install -y iproute2")
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	nw := &Netns{
		prefix: fmt.Sprintf("gwc%x", r[:3]),
		subnet: fmt.Sprintf("10.%d.%d", 100+r[3]%100, r[0]),
		hosts:  map[string]*nsHost{},
	}
	nw.hub = nw.prefix + "-hub"
	t.Cleanup(func() {
		if err := nw.Close(); err != nil {
			t.Errorf("netns cleanup: %v", err)
		}
	})
	if err := nw.addNS(nw.hub); err != nil {
		t.Fatal(err)
	}
	steps := [][]string{
		{"-n", nw.hub, "link", "add", "br0", "type", "bridge"},
		{"-n", nw.hub, "addr", "add", nw.subnet + ".1/24", "dev", "br0"},
		{"-n", nw.hub, "link", "set", "br0", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			t.Fatal(err)
		}
	}
	return nw
}

func (nw *Netns) addNS(name string) error {
	if err := ipCmd("netns", "add", name); err != nil {
		return err
	}
	nw.mu.Lock()
	nw.nsAll = append(nw.nsAll, name)
	nw.mu.Unlock()
	return ipCmd("-n", name, "link", "set", "lo", "up")
}

// AddHost creates the namespace of host name, plugs it into the bridge and
// returns its IP.
func (nw *Netns) AddHost(name string) (string, error) {
	nw.mu.Lock()
	idx := len(nw.hosts) + 2
	nw.mu.Unlock()
	if idx > 250 {
		return "", fmt.Errorf("netns: too many hosts")
	}
	h := &nsHost{
		ns:   nw.prefix + "-" + name,
		ip:   fmt.Sprintf("%s.%d", nw.subnet, idx),
		veth: fmt.Sprintf("v%d", idx),
	}
	if err := nw.addNS(h.ns); err != nil {
		return "", err
	}
	steps := [][]string{
		{"-n", nw.hub, "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.ns},
		{"-n", nw.hub, "link", "set", h.veth, "master", "br0", "up"},
		{"-n", h.ns, "addr", "add", h.ip + "/24", "dev", "eth0"},
		{"-n", h.ns, "link", "set", "eth0", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			return "", err
		}
	}
	nw.mu.Lock()
	nw.hosts[name] = h
	nw.mu.Unlock()
	return h.ip, nil
}

// HubIP is the hub's address on the bridge (10.A.B.1): hosts reach it
// directly, so proxies in the hub listen there.
func (nw *Netns) HubIP() string { return nw.subnet + ".1" }

// HostNS is the namespace name of host name ("" if unknown).
func (nw *Netns) HostNS(name string) string {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if h := nw.hosts[name]; h != nil {
		return h.ns
	}
	return ""
}

// Cut takes the links of the named hosts down: they can reach neither each
// other nor anyone else (a site cut off when several names are given).
func (nw *Netns) Cut(names ...string) error { return nw.setLinks("down", names) }

// Heal brings the named hosts' links back up.
func (nw *Netns) Heal(names ...string) error { return nw.setLinks("up", names) }

func (nw *Netns) setLinks(state string, names []string) error {
	for _, name := range names {
		nw.mu.Lock()
		h := nw.hosts[name]
		nw.mu.Unlock()
		if h == nil {
			return fmt.Errorf("netns: no host %q", name)
		}
		if err := ipCmd("-n", nw.hub, "link", "set", h.veth, state); err != nil {
			return err
		}
		// The host side too, so the host sees its carrier go.
		if err := ipCmd("-n", h.ns, "link", "set", "eth0", state); err != nil {
			return err
		}
	}
	return nil
}

// DialContext dials from the hub namespace (the clients' side).
func (nw *Netns) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNamespace(nw.hub, func() error {
		var err error
		c, err = (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// ListenIn opens a listener inside namespace ns (self-tests).
func ListenIn(ns, network, addr string) (net.Listener, error) {
	var l net.Listener
	err := inNamespace(ns, func() error {
		var err error
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}

// inNamespace runs f on an OS thread switched into network namespace ns.
// Sockets created by f stay in ns after the thread switches back.
func inNamespace(ns string, f func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: %w", err)
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns %s: %w", ns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", ns, err)
	}
	ferr := f()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: the runtime ends a locked thread when its
		// goroutine exits, so no other goroutine runs in the wrong namespace.
		return fmt.Errorf("setns back: %w (after: %v)", err, ferr)
	}
	runtime.UnlockOSThread()
	return ferr
}

// Close deletes every namespace created, and checks they are gone.
func (nw *Netns) Close() error {
	nw.mu.Lock()
	all := append([]string(nil), nw.nsAll...)
	nw.nsAll = nil
	nw.mu.Unlock()
	var errs []string
	for i := len(all) - 1; i >= 0; i-- {
		if err := ipCmd("netns", "del", all[i]); err != nil {
			errs = append(errs, err.Error())
		}
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, nw.prefix+"-") {
			errs = append(errs, "still present: "+line)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func ipCmd(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var e bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stderr = &e
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(e.String()))
	}
	return nil
}

// TestNetnsCutAndHeal builds a hub and two hosts, checks TCP from the hub to
// a listener in a host namespace, cuts the host off (the dial fails), heals
// it (the dial works again), and checks every namespace is gone after Close.
func TestNetnsCutAndHeal(t *testing.T) {
	t.Parallel()
	nw := newNetns(t)
	ipA, err := nw.AddHost("a")
	must(t, err)
	if _, err := nw.AddHost("b"); err != nil {
		t.Fatal(err)
	}
	l, err := ListenIn(nw.HostNS("a"), "tcp", net.JoinHostPort(ipA, "7000"))
	must(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hi"))
			c.Close()
		}
	}()
	ctx := testCtx(t, 60*time.Second)
	hello := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		c, err := nw.DialContext(ctx, "tcp", net.JoinHostPort(ipA, "7000"))
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 2)
		if _, err := c.Read(b); err != nil {
			return err
		}
		if string(b) != "hi" {
			return fmt.Errorf("got %q", b)
		}
		return nil
	}
	must(t, waitFor(ctx, "hub to reach host a", hello))
	// The 10.x addresses exist only inside the namespaces: the host's own
	// interfaces never get them (checked without sending anything).
	addrs, err := net.InterfaceAddrs()
	must(t, err)
	for _, a := range addrs {
		if strings.HasPrefix(a.String(), nw.subnet+".") {
			t.Fatalf("host namespace has %s", a)
		}
	}
	must(t, nw.Cut("a"))
	if err := hello(ctx); err == nil {
		t.Fatal("host a still reachable after Cut")
	}
	must(t, nw.Heal("a"))
	must(t, waitFor(ctx, "hub to reach host a after Heal", hello))
	if err := nw.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("netns %s: reach, cut (unreachable), heal (reachable), deleted", nw.prefix)
}
